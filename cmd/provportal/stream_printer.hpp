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
  // The row table and CSV show for `item`: its summary, or with --fields the item with the
  // summary's columns as the summary shows them.
  boost::json::object row_of(const boost::json::value& item) const;
  // What JSON, JSON Lines and YAML show of `item`: all of it, or the --fields.
  boost::json::value whole(const boost::json::value& item) const;
  // The table and CSV columns: the summary's, or the --fields.
  const std::vector<std::string>& columns() const;

  Context& m_ctx;
  std::vector<std::string> m_columns;
  Summary m_summary;
  std::size_t m_count = 0;
  bool m_header = false;
};

// `item` with the members of `summary` in place of its own: what --fields chooses from in table
// and CSV, so a chosen summary column reads as it does without --fields.
boost::json::object shown_row(const boost::json::object& item, const boost::json::object& summary);

// The `columns` of `item` as they are (null when absent): the default summary.
boost::json::object pick_columns(const boost::json::object& item,
                                 const std::vector<std::string>& columns);

}  // namespace portal::cli
