// --since and --no-advance, shared by the subcommands that pull what changed (claim-status,
// search-orders): what to send as the lower bound of the window, and the watermark of the query,
// moved to the portal's as_of only after the output was written completely.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include <boost/json/object.hpp>

#include "context.hpp"
#include "portal/pull/watermark.hpp"

namespace CLI {
class App;
}

namespace portal::cli {

struct SinceFlags {
  std::string since;  // last | RFC 3339 | date | duration; empty: not an incremental pull
  bool no_advance = false;
};

// Adds --since and --no-advance to `cmd`; `changes` says what changes ("claims", "orders").
void add_since_flags(CLI::App& cmd, SinceFlags& flags, const std::string& changes);

class IncrementalPull {
 public:
  // Resolves --since for one query. `query` holds everything that makes two pulls the same query
  // besides the profile and portal (it may hold PHI: only its hash names the watermark file);
  // `description` says what the query is, without PHI. With `last`, takes the query's watermark
  // lock until this object goes away (ErrorKind::usage when another pull holds it), unless
  // --no-advance.
  static Expected<std::unique_ptr<IncrementalPull>> start(Context& ctx, const SinceFlags& flags,
                                                          const std::string& subcommand,
                                                          const std::string& query,
                                                          const std::string& description);

  // The lower bound to send (RFC 3339); empty when --since was not given.
  const std::string& changed_since() const { return m_changed_since; }
  // Notes the as_of of an answer (the first one counts: later pages repeat it).
  void answered(const boost::json::object& answer);
  // After the output was committed: tells what the window was and moves the watermark of
  // `--since last` to the as_of (unless --no-advance). `count` items of `noun` were written.
  Expected<void> finish(Context& ctx, std::size_t count, const std::string& noun);

 private:
  IncrementalPull() = default;

  bool m_last = false, m_no_advance = false;
  std::string m_changed_since, m_as_of, m_description, m_previous;
  std::filesystem::path m_file;
  std::unique_ptr<pull::WatermarkLock> m_lock;
};

}  // namespace portal::cli
