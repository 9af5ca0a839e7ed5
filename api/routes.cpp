#include "api/admin_handler.hpp"
#include "api/assets_handler.hpp"
#include "api/catalog_handler.hpp"
#include "api/press_kits_handler.hpp"
#include "api/published_handler.hpp"
#include "api/renditions_handler.hpp"
#include "api/reports_handler.hpp"
#include "api/reviews_handler.hpp"
#include "api/router.hpp"
#include "api/sessions_handler.hpp"
#include "api/share_links_handler.hpp"
#include "api/system_handler.hpp"
#include "api/uploads_handler.hpp"
#include "api/units_handler.hpp"
#include "api/users_handler.hpp"
#include "api/worker_jobs_handler.hpp"

namespace kho::api {

router make_router() {
    router r;
    add_system_routes(r);
    add_asset_routes(r);
    add_upload_routes(r);
    add_admin_routes(r);
    add_session_routes(r);
    add_user_routes(r);
    add_unit_routes(r);
    add_review_routes(r);
    add_published_routes(r);
    add_rendition_routes(r);
    add_catalog_routes(r);
    add_report_routes(r);
    add_press_kit_routes(r);
    add_share_link_routes(r);
    add_worker_job_routes(r);
    return r;
}

}  // namespace kho::api
