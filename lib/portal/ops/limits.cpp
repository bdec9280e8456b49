#include "portal/ops/limits.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <system_error>

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "portal/util/atomic_file.hpp"

namespace portal::ops {

namespace fs = std::filesystem;
namespace json = boost::json;

fs::path limits_cache_file(const fs::path& cache_dir, std::string_view profile) {
  // Profile names are the user's own words: keep the file name to a safe alphabet.
  std::string name;
  for (char c : profile) {
    bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_' || c == '.';
    name += safe ? c : '_';
  }
  if (name.empty() || name.front() == '.') name.insert(name.begin(), '_');
  return cache_dir / "limits" / (name + ".json");
}

std::optional<CachedLimits> read_cached_limits(const fs::path& file, std::string_view base_url) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  json::error_code ec;
  auto doc = json::parse(text.str(), ec);
  if (ec || !doc.is_object()) return std::nullopt;
  const auto& o = doc.get_object();
  const auto* url = o.if_contains("base_url");
  const auto* at = o.if_contains("fetched_at");
  const auto* limits = o.if_contains("limits");
  if (!url || !url->is_string() || url->get_string() != base_url || !at || !at->is_string() ||
      !limits || !limits->is_object()) {
    return std::nullopt;
  }
  auto when = parse_iso8601(at->get_string());
  if (!when) return std::nullopt;
  return CachedLimits{api::parse_limits(limits->get_object()), *when};
}

Expected<void> write_cached_limits(const fs::path& file, std::string_view base_url,
                                   const api::PortalLimits& limits, SysTime fetched_at) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  ::chmod(file.parent_path().c_str(), 0700);
  auto out = AtomicFile::create(file, {.mode = 0600, .exact_mode = true, .unique_temp = true});
  if (!out) return fail(out.error());
  json::object doc{{"base_url", base_url},
                   {"fetched_at", format_iso8601(fetched_at)},
                   {"limits", api::limits_json(limits)}};
  (*out)->stream() << json::serialize(doc) << '\n';
  return (*out)->commit();
}

void forget_cached_limits(const fs::path& file) {
  std::error_code ec;
  fs::remove(file, ec);
}

Expected<std::optional<api::PortalLimits>> fetch_limits(api::PortalApi& api,
                                                        const wire::Wire& wire) {
  auto request = wire.limits_request();
  if (!request) return std::optional<api::PortalLimits>();
  auto answer = api.send(std::move(*request), false);
  if (!answer) return fail(answer.error());
  auto limits = wire.read_limits(*answer);
  if (!limits) return fail(limits.error());
  return std::optional<api::PortalLimits>(std::move(*limits));
}

KnownLimits known_limits(const LimitsLookup& lookup,
                         const std::function<Expected<std::optional<api::PortalLimits>>()>& fetch) {
  auto cached = read_cached_limits(lookup.cache_file, lookup.base_url);
  if (cached && (lookup.dry_run || lookup.now - cached->fetched_at < k_limits_fresh_for)) {
    return {std::move(cached->limits), LimitsSource::cached, cached->fetched_at, {}};
  }
  auto fetched = fetch();
  if (fetched && *fetched) {
    if (auto stored =
            write_cached_limits(lookup.cache_file, lookup.base_url, **fetched, lookup.now);
        !stored) {
      spdlog::warn("cannot cache the portal's limits: {}", stored.error().message);
    }
    return {std::move(**fetched), LimitsSource::fetched, lookup.now, {}};
  }
  std::string problem =
      fetched ? std::string("the wire states no limits") : fetched.error().message;
  if (cached) {
    return {std::move(cached->limits), LimitsSource::stale_cache, cached->fetched_at,
            std::move(problem)};
  }
  return {api::PortalLimits{}, LimitsSource::not_known, {}, std::move(problem)};
}

}  // namespace portal::ops
