#pragma once
// Share links: signed, expiring, revocable links to a press kit or to one
// file of an approved version, for people without an account.
// Staff (reviewers, admins):
//   POST   /api/v1/share-links        {kit} | {asset, version, file?}, expires_in_days (1-90,
//                                     default 7) | expires_at, max_downloads?, password?, note?
//   GET    /api/v1/share-links        ?kit= | ?asset=
//   DELETE /api/v1/share-links/{id}   revoke
//   POST   /api/v1/admin/link-keys/rotate   a new signing key (admin); old links stay valid
// Anyone with the link (no account):
//   GET    /api/v1/links/{token}            what it opens (or that it needs a password)
//   POST   /api/v1/links/{token}/unlock     {password} -> a 12-hour cookie for this link
//   GET    /api/v1/links/{token}/download   the kit's ZIP or the file (Range resumes)
// A link that does not open says why in `reason`: invalid (403, tampered),
// password_required / wrong_password (403), expired, revoked, exhausted,
// withdrawn (410), not_available (404: embargoed).

namespace kho::api {
class router;
void add_share_link_routes(router& r);
}  // namespace kho::api
