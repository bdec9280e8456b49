#include "incremental.hpp"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "portal/config/config.hpp"
#include "portal/util/clock.hpp"

namespace portal::cli {

namespace json = boost::json;

namespace {

// The lower bound of a first pull: every change the portal has, up to its as_of.
constexpr const char* k_beginning = "1970-01-01T00:00:00Z";

}  // namespace

void add_since_flags(CLI::App& cmd, SinceFlags& f, const std::string& changes) {
  const char* g = "Incremental pulls";
  cmd.add_option(
         "--since", f.since,
         "Only " + changes +
             " that changed since: last (the previous successful pull of this query), an RFC 3339 "
             "time, a date (local midnight) or a duration (24h, 7d; on the portal's clock)")
      ->type_name("WHEN")
      ->group(g);
  cmd.add_flag("--no-advance", f.no_advance,
               "With --since last: look, but leave the watermark where it is")
      ->group(g);
}

Expected<std::unique_ptr<IncrementalPull>> IncrementalPull::start(Context& ctx,
                                                                  const SinceFlags& flags,
                                                                  const std::string& subcommand,
                                                                  const std::string& query,
                                                                  const std::string& description) {
  std::unique_ptr<IncrementalPull> p(new IncrementalPull());
  p->m_description = description;
  if (flags.since.empty()) {
    if (flags.no_advance) return fail(ErrorKind::usage, "--no-advance goes with --since last");
    return p;
  }
  auto since = pull::parse_since(flags.since);
  if (!since) return fail(since.error());
  if (flags.no_advance && since->kind != pull::Since::Kind::last) {
    return fail(ErrorKind::usage, "--no-advance goes with --since last",
                "other --since values keep no watermark");
  }
  switch (since->kind) {
    case pull::Since::Kind::time:
      p->m_changed_since = format_iso8601(since->time);
      return p;
    case pull::Since::Kind::duration: {
      // Counted back from the portal's clock, not this machine's: a skewed local clock (or the
      // sandbox's moved one) cannot shift the window.
      auto api = ctx.api();
      if (!api) return fail(api.error());
      auto health = (*api)->health();
      if (!health) return fail(health.error());
      const auto* t = health->if_contains("time");
      auto now = t && t->is_string() ? parse_iso8601(t->get_string()) : std::nullopt;
      if (!now)
        return fail(ErrorKind::unavailable,
                    "the portal did not say what time it is (GET /v1/health)");
      p->m_changed_since = format_iso8601(*now - since->duration);
      return p;
    }
    case pull::Since::Kind::last:
      break;
  }
  auto settings = ctx.settings();
  if (!settings) return fail(settings.error());
  std::string key = (*settings)->profile_name + "\n" + (*settings)->profile.base_url + "\n" +
                    subcommand + "\n" + query;
  p->m_file =
      pull::watermark_file(pull::watermarks_dir(config::state_dir(ctx.env())), subcommand, key);
  p->m_last = true;
  p->m_no_advance = flags.no_advance;
  std::optional<std::string> stored;
  if (flags.no_advance) {
    stored = pull::read_watermark(p->m_file);
  } else {
    auto lock = pull::WatermarkLock::acquire(p->m_file);
    if (!lock) return fail(lock.error());
    p->m_lock = std::move(*lock);
    stored = p->m_lock->value();
  }
  if (stored) {
    p->m_previous = *stored;
    p->m_changed_since = *stored;
  } else {
    p->m_changed_since = k_beginning;
    ctx.notice("No watermark yet for this query (" + p->m_file.string() +
               "): this first pull returns everything up to the portal's time" +
               (flags.no_advance ? "." : "; the next --since last returns what changed after it."));
  }
  return p;
}

void IncrementalPull::answered(const json::object& answer) {
  if (!m_as_of.empty()) return;
  if (const auto* a = answer.if_contains("as_of"); a && a->is_string()) m_as_of = a->get_string();
}

Expected<void> IncrementalPull::finish(Context& ctx, std::size_t count, const std::string& noun) {
  if (m_changed_since.empty()) return {};
  std::string window = m_changed_since == k_beginning
                           ? "up to " + m_as_of
                           : "between " + m_changed_since + " and " + m_as_of;
  ctx.notice(std::to_string(count) + " " + noun + (count == 1 ? "" : "s") + " changed " + window +
             ".");
  if (!m_last) return {};
  if (m_no_advance) {
    ctx.notice("The watermark was not moved (--no-advance): it is " +
               (m_previous.empty() ? "not set" : m_previous) + " (" + m_file.string() + ").");
    return {};
  }
  auto as_of = parse_iso8601(m_as_of);
  if (!as_of)
    return fail(ErrorKind::unavailable,
                "the portal's answer had no as_of time; the watermark was not moved");
  if (auto previous = parse_iso8601(m_previous); previous && *as_of < *previous) {
    // A portal clock set back (a sandbox's): keep the later mark rather than hand out again what
    // was already pulled.
    ctx.notice("The portal's time (" + m_as_of + ") is before this query's watermark (" +
               m_previous + "); the watermark stays where it is.");
    return {};
  }
  auto moved = m_lock->advance(m_as_of, m_description);
  if (!moved) return fail(moved.error());
  ctx.notice("Watermark moved to " + m_as_of + " (" + m_file.string() + ").");
  return {};
}

}  // namespace portal::cli
