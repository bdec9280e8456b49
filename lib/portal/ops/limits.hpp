// The portal's limits as the CLI knows them (each solution's additional_info limit, document
// sizes and types): asked over the wire, cached per profile in
// $XDG_CACHE_HOME/provportal/limits/PROFILE.json with the portal's base URL, so that records are
// checked against what the portal announced before anything is sent, offline too once cached.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "portal/api/portal_api.hpp"
#include "portal/api/prior_auth.hpp"
#include "portal/util/clock.hpp"
#include "portal/util/error.hpp"
#include "portal/wire/wire.hpp"

namespace portal::ops {

// How long cached limits are used before they are asked again (a dry run uses them at any age).
inline constexpr std::chrono::hours k_limits_fresh_for{24};

// The cache file of `profile`'s limits under `cache_dir` ($XDG_CACHE_HOME/provportal).
std::filesystem::path limits_cache_file(const std::filesystem::path& cache_dir,
                                        std::string_view profile);

// Limits as cached, with when they were fetched.
struct CachedLimits {
  api::PortalLimits limits;
  SysTime fetched_at{};
};

// The limits cached in `file` for the portal at `base_url`; nullopt when there are none, the file
// cannot be read, or it holds another portal's.
std::optional<CachedLimits> read_cached_limits(const std::filesystem::path& file,
                                               std::string_view base_url);

// Stores `limits`, fetched at `fetched_at` from the portal at `base_url` (the directory made
// 0700, the file 0600 and written whole).
Expected<void> write_cached_limits(const std::filesystem::path& file, std::string_view base_url,
                                   const api::PortalLimits& limits, SysTime fetched_at);

// Removes the cached limits (the portal refused what they let through: they changed).
void forget_cached_limits(const std::filesystem::path& file);

// Asks the portal its limits over `wire` (no session needed): nullopt when the wire has no way
// to learn them.
Expected<std::optional<api::PortalLimits>> fetch_limits(api::PortalApi& api,
                                                        const wire::Wire& wire);

// Where the limits in use came from.
enum class LimitsSource {
  fetched,      // asked now (and cached)
  cached,       // the cache, younger than k_limits_fresh_for (or any age on a dry run)
  stale_cache,  // the cache, older, because asking again failed
  not_known,    // none: the schemas' generic maximums (PortalLimits' defaults)
};

struct KnownLimits {
  api::PortalLimits limits;
  LimitsSource source = LimitsSource::not_known;
  SysTime fetched_at{};  // fetched, cached, stale_cache
  std::string problem;   // stale_cache, not_known: why the portal's word could not be had
};

struct LimitsLookup {
  std::filesystem::path cache_file;
  std::string base_url;
  SysTime now{};
  // A dry run sends nothing: it uses the cache at any age and asks only when there is none.
  bool dry_run = false;
};

// The limits to check records against: the cache when fresh (any age on a dry run), else
// `fetch()`'s answer (cached on success), else the cache however old, else the defaults.
// `fetch` answers nullopt when the wire states no limits.
KnownLimits known_limits(const LimitsLookup& lookup,
                         const std::function<Expected<std::optional<api::PortalLimits>>()>& fetch);

}  // namespace portal::ops
