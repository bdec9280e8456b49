// provportal logout: end the session on the portal and delete the cached token.
#include <memory>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "commands.hpp"

namespace portal::cli {

namespace {

Expected<void> run_logout(Context& ctx) {
  auto store = ctx.session_store();
  if (!store) return fail(store.error());
  auto lock = store->lock();
  if (!lock) return fail(lock.error());
  auto session = store->load();
  if (!session) return fail(session.error());
  if (!*session) {
    ctx.print(boost::json::object{{"status", "logged_out"}});
    ctx.notice("Not logged in.");
    return {};
  }
  std::optional<Error> remote_failure;
  auto api = ctx.api();
  if (!api) return fail(api.error());
  if ((*session)->base_url == (*api)->base_url()) {
    (*api)->set_token((*session)->token);
    auto r = (*api)->logout();
    // An expired or revoked session is as logged out as it gets.
    if (!r && r.error().kind != ErrorKind::auth) remote_failure = r.error();
  } else {
    ctx.notice("The session was for " + (*session)->base_url + "; it was deleted here only.");
  }
  auto removed = store->remove();
  if (!removed) return fail(removed.error());
  if (remote_failure) {
    remote_failure->message = "the local session was deleted, but the portal could not be told: " +
                              remote_failure->message;
    remote_failure->hint = "the portal's session expires by itself after 30 idle minutes";
    return fail(std::move(*remote_failure));
  }
  ctx.print(boost::json::object{{"email", (*session)->email}, {"status", "logged_out"}});
  return {};
}

}  // namespace

void setup_logout(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("logout", "End the session and delete the cached token");
  cmd->footer("Examples:\n  provportal logout\n  provportal logout --profile prod");
  cmd->callback([&ctx] {
    ctx.declare_fields({"email", "status"});
    ctx.action = [&ctx] { return run_logout(ctx); };
  });
}

}  // namespace portal::cli
