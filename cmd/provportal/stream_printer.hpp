// Prints the items of a paged answer as the pages arrive (search-orders, the claim-status feed),
// so memory does not grow with the number of pages: JSON as one array written as it goes, JSON
// Lines and YAML one item at a time, table and CSV as the command's summary columns.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "context.hpp"

namespace portal::cli {

class StreamPrinter {
 public:
  // The row a table or CSV shows for one item; it should hold exactly `columns`, in order.
  using Summary = std::function<boost::json::object(const boost::json::object& item)>;

  StreamPrinter(Context& ctx, std::vector<std::string> columns, Summary summary);

  // Prints one page of items; ErrorKind::output_closed when stdout's reader has gone (the caller
  // stops paging).
  Expected<void> page(const boost::json::array& items);
  // Closes what the format needs closed (the JSON array, an empty CSV's header).
  void finish();
  std::size_t count() const { return m_count; }

 private:
  void header();
  boost::json::object row_of(const boost::json::value& item) const;

  Context& m_ctx;
  std::vector<std::string> m_columns;
  Summary m_summary;
  std::size_t m_count = 0;
  bool m_header = false;
};

// The `columns` of `item` as they are (null when absent): the default summary.
boost::json::object pick_columns(const boost::json::object& item,
                                 const std::vector<std::string>& columns);

}  // namespace portal::cli
