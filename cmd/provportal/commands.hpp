// The subcommands of provportal: each binds its flags to `app` and leaves its work in
// Context::action when chosen.
#pragma once

#include "context.hpp"

namespace portal::cli {

void setup_register(CLI::App& app, Context& ctx);
void setup_verify_email(CLI::App& app, Context& ctx);
void setup_login(CLI::App& app, Context& ctx);
void setup_logout(CLI::App& app, Context& ctx);
void setup_whoami(CLI::App& app, Context& ctx);
void setup_update_profile(CLI::App& app, Context& ctx);
void setup_reset_password(CLI::App& app, Context& ctx);
void setup_check_eligibility(CLI::App& app, Context& ctx);
void setup_submit_case(CLI::App& app, Context& ctx);
void setup_upload_docs(CLI::App& app, Context& ctx);
void setup_update_case(CLI::App& app, Context& ctx);
void setup_cancel_case(CLI::App& app, Context& ctx);
void setup_search_orders(CLI::App& app, Context& ctx);
void setup_claim_status(CLI::App& app, Context& ctx);
void setup_x12(CLI::App& app, Context& ctx);
void setup_remittance(CLI::App& app, Context& ctx);
void setup_config(CLI::App& app, Context& ctx);
void setup_completion(CLI::App& app, Context& ctx);

}  // namespace portal::cli
