#include "portal/ops/pages.hpp"

#include <string>
#include <utility>

namespace portal::ops {

Expected<PageReader> PageReader::open(api::PortalApi& api, std::shared_ptr<const wire::Wire> wire,
                                      wire::Feed feed, wire::PageQuery query) {
  if (!wire->carries(feed)) {
    return fail(wire::not_carried(*wire, "the " + std::string(wire::feed_name(feed))));
  }
  return PageReader(api, std::move(wire), feed, std::move(query));
}

PageReader::PageReader(api::PortalApi& api, std::shared_ptr<const wire::Wire> wire, wire::Feed feed,
                       wire::PageQuery query)
    : m_api(&api), m_wire(std::move(wire)), m_feed(feed), m_query(std::move(query)) {}

Expected<std::optional<wire::Page>> PageReader::next(std::size_t page_size) {
  if (m_done) return std::optional<wire::Page>();
  wire::PageQuery query = m_query;
  if (page_size) query.page_size = page_size;
  auto answer = m_api->send(m_wire->page_request(m_feed, query));
  if (!answer) return fail(answer.error());
  auto page = m_wire->read_page(m_feed, *answer);
  if (!page) return fail(page.error());
  m_query.page_token = page->next_page_token;
  m_done = m_query.page_token.empty();
  return std::optional<wire::Page>(std::move(*page));
}

}  // namespace portal::ops
