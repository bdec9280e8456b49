// The portal's lists (the claims feed, the order search) read page by page over a wire: the wire
// builds each page's request and reads its answer, api::PortalApi sends it with the session and
// its retries.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>

#include "portal/api/portal_api.hpp"
#include "portal/util/error.hpp"
#include "portal/wire/wire.hpp"

namespace portal::ops {

class PageReader {
 public:
  // A reader of `feed` from its first page; ErrorKind::usage when the wire does not carry it.
  static Expected<PageReader> open(api::PortalApi& api, std::shared_ptr<const wire::Wire> wire,
                                   wire::Feed feed, wire::PageQuery query);

  // The next page, asking for `page_size` items (0: the query's); nullopt after the last page.
  Expected<std::optional<wire::Page>> next(std::size_t page_size = 0);

 private:
  PageReader(api::PortalApi& api, std::shared_ptr<const wire::Wire> wire, wire::Feed feed,
             wire::PageQuery query);

  api::PortalApi* m_api;
  std::shared_ptr<const wire::Wire> m_wire;
  wire::Feed m_feed;
  wire::PageQuery m_query;
  bool m_done = false;
};

}  // namespace portal::ops
