#include "api/admin_handler.hpp"
#include "api/assets_handler.hpp"
#include "api/router.hpp"
#include "api/system_handler.hpp"
#include "api/uploads_handler.hpp"

namespace kho::api {

router make_router() {
    router r;
    add_system_routes(r);
    add_asset_routes(r);
    add_upload_routes(r);
    add_admin_routes(r);
    return r;
}

}  // namespace kho::api
