// provportal whoami: show the profile of the logged-in account.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "commands.hpp"
#include "portal/ops/fields.hpp"

namespace portal::cli {

namespace {

Expected<void> run_whoami(Context& ctx) {
  auto api = ctx.api_with_session();
  if (!api) return fail(api.error());
  auto profile = (*api)->profile();
  if (!profile) return fail(profile.error());
  ctx.print(*profile);
  return {};
}

}  // namespace

void setup_whoami(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("whoami", "Show the profile of the logged-in account");
  cmd->footer("Examples:\n  provportal whoami\n  provportal whoami -o json | jq -r .email");
  cmd->callback([&ctx] {
    ctx.declare_fields(ops::profile_fields());
    ctx.action = [&ctx] { return run_whoami(ctx); };
  });
}

}  // namespace portal::cli
