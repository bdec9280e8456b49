// provportal search-orders: the organisation's orders across every health plan and solution, by
// order ID, ACMP number, member, dates and status, streamed page by page; optionally saves each
// order's determination letters (PDF).
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "commands.hpp"
#include "incremental.hpp"
#include "portal/ops/fields.hpp"
#include "portal/ops/orders_search.hpp"
#include "portal/ops/pages.hpp"
#include "portal/util/atomic_file.hpp"
#include "portal/util/strings.hpp"
#include "stream_printer.hpp"

namespace portal::cli {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t k_page_size_max = 100;

struct SearchOptions {
  ops::OrderQuery query;
  std::size_t limit = 0;      // 0: every page
  std::size_t page_size = 0;  // 0: the portal's default
  std::string letters_dir;
  SinceFlags since;
};

// A file name part from a portal identifier: anything but letters, digits, '.', '_' and '-'
// becomes '_', so no identifier can reach outside the directory.
std::string file_part(std::string_view id) {
  std::string out;
  for (char c : id)
    out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_';
  return out.empty() ? "_" : out;
}

bool same_content(const fs::path& path, const std::string& bytes) {
  std::error_code ec;
  if (!fs::is_regular_file(fs::symlink_status(path, ec)) || fs::file_size(path, ec) != bytes.size())
    return false;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream have;
  have << in.rdbuf();
  return have.str() == bytes;
}

Expected<void> run_search(const SearchOptions& opt, Context& ctx) {
  if (auto checked = ops::check_order_query(opt.query); !checked) return fail(checked.error());
  if (!opt.since.since.empty() && !opt.query.updated_since.empty()) {
    return fail(ErrorKind::usage, "--since and --updated-since say the same thing; give one");
  }
  if (opt.since.since == "last" && opt.limit) {
    return fail(ErrorKind::usage, "--limit cannot go with --since last",
                "the watermark would pass over the orders the limit left out");
  }
  // Order IDs and ACMP numbers are upper case on the portal: typed in any case, they still
  // match (and make the same query), as member IDs do.
  ops::OrderQuery normalized = opt.query;
  normalized.order_id = util::upper(normalized.order_id);
  normalized.acmp_number = util::upper(normalized.acmp_number);
  std::string description = ops::describe(normalized);
  auto pull = IncrementalPull::start(ctx, opt.since, "search-orders", ops::query_key(normalized),
                                     description);
  if (!pull) return fail(pull.error());
  auto wire = ctx.chosen_wire();
  if (!wire) return fail(wire.error());
  auto api = ctx.api_with_session();
  if (!api) return fail(api.error());
  ops::OrderQuery query = normalized;
  query.page_size = opt.page_size;
  if (!(*pull)->changed_since().empty()) query.updated_since = (*pull)->changed_since();
  auto pages = ops::PageReader::open(**api, *wire, wire::Feed::orders, ops::page_query(query));
  if (!pages) return fail(pages.error());
  fs::path letters_dir;
  if (!opt.letters_dir.empty()) {
    letters_dir = opt.letters_dir;
    std::error_code ec;
    fs::create_directories(letters_dir, ec);
    if (ec || !fs::is_directory(letters_dir)) {
      return fail(ErrorKind::usage,
                  "cannot create the directory " + opt.letters_dir + " for the letters",
                  "give a writable directory to --download-letters");
    }
  }
  StreamPrinter printer(ctx, ops::order_columns(), ops::order_summary);
  std::size_t saved = 0, unchanged = 0;
  while (!opt.limit || printer.count() < opt.limit) {
    std::size_t page_size = 0;
    if (opt.limit) {
      page_size =
          std::min(opt.page_size ? opt.page_size : k_page_size_max, opt.limit - printer.count());
    }
    auto page = pages->next(page_size);
    if (!page) {
      printer.finish();
      return fail(page.error());
    }
    if (!*page) break;
    (*pull)->answered((*page)->answer);
    json::array& orders = (*page)->items;
    if (opt.limit && printer.count() + orders.size() > opt.limit)
      orders.resize(opt.limit - printer.count());
    if (auto printed = printer.page(orders); !printed) return fail(printed.error());
    for (const auto& order : orders) {
      if (letters_dir.empty() || !order.is_object()) continue;
      const auto* letters = order.get_object().if_contains("letters");
      const auto* order_id = order.get_object().if_contains("order_id");
      if (!letters || !letters->is_array() || !order_id || !order_id->is_string()) continue;
      for (const auto& l : letters->get_array()) {
        const auto* id = l.is_object() ? l.get_object().if_contains("letter_id") : nullptr;
        if (!id || !id->is_string()) continue;
        auto pdf = ops::letter(**api, **wire, id->get_string());
        if (!pdf) {
          printer.finish();
          return fail(pdf.error());
        }
        fs::path path = letters_dir / (file_part(order_id->get_string()) + "-" +
                                       file_part(id->get_string()) + ".pdf");
        if (same_content(path, *pdf)) {
          ++unchanged;
          continue;
        }
        if (auto written = write_file_atomically(path, *pdf, {.mode = 0644}); !written) {
          printer.finish();
          return fail(ErrorKind::input,
                      "cannot write the letter " + path.string() + ": " + written.error().message,
                      "check that --download-letters names a writable directory");
        }
        ++saved;
      }
    }
  }
  printer.finish();
  if (printer.count() == 0 && (*pull)->changed_since().empty()) {
    // An empty list on stdout is easy to miss: say it where a person looks.
    std::string filters = description == "orders" ? std::string() : description.substr(8);
    ctx.notice("No orders found" + (filters.empty() ? std::string() : " (" + filters + ")") + ".");
  }
  if (!letters_dir.empty()) {
    ctx.notice("Letters: " + std::to_string(saved) + " saved to " + letters_dir.string() +
               (unchanged ? ", " + std::to_string(unchanged) + " already there" : std::string()) +
               ".");
  }
  // The watermark moves only once the output is complete.
  if (auto done = ctx.commit_output(); !done) return fail(done.error());
  return (*pull)->finish(ctx, printer.count(), "order");
}

}  // namespace

void setup_search_orders(CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<SearchOptions>();
  auto* cmd = app.add_subcommand(
      "search-orders",
      "Search your organisation's prior authorization orders; download their letters");
  auto& q = opt->query;
  cmd->add_option("--order-id", q.order_id, "One order by its ID")->type_name("ID");
  cmd->add_option("--acmp-number", q.acmp_number, "One order by its ACMP number")
      ->type_name("ACMP");
  cmd->add_option("--member-id", q.member_id, "A member's orders (with --date-of-birth)")
      ->type_name("ID");
  cmd->add_option("--date-of-birth,--dob", q.date_of_birth,
                  "The member's date of birth (YYYY-MM-DD)")
      ->type_name("DATE");
  cmd->add_option("--from", q.from, "Orders whose service dates reach DATE or later (YYYY-MM-DD)")
      ->type_name("DATE");
  cmd->add_option("--to", q.to, "Orders whose service dates start on DATE or earlier (YYYY-MM-DD)")
      ->type_name("DATE");
  with_choices(
      cmd->add_option("--status", q.status, "Only orders with this status")->type_name("STATUS"),
      {"approved", "pended", "needs-documents", "denied", "partially-approved", "cancelled"});
  cmd->add_flag("--overdue", q.overdue,
                "Only orders whose decision came after its CMS-0057-F due time, or has not come "
                "and is past it");
  cmd->add_option("--health-plan", q.health_plan, "Only this health plan's orders")
      ->type_name("PLAN");
  cmd->add_option("--solution", q.solution, "Only this solution's orders")->type_name("SOLUTION");
  cmd->add_option("--updated-since", q.updated_since,
                  "Only orders changed since TIME (RFC 3339; the same as --since TIME)")
      ->type_name("TIME");
  cmd->add_option("--limit", opt->limit, "At most N orders (default: every page)")
      ->type_name("N")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--page-size", opt->page_size,
                  "Orders per request, 1 to 100 (default: the portal's, 50)")
      ->type_name("N")
      ->check(CLI::Range(1, 100));
  cmd->add_option(
         "--download-letters", opt->letters_dir,
         "Save each order's letters as DIR/ORDER_ID-LETTER_ID.pdf (files already there are kept)")
      ->type_name("DIR");
  add_since_flags(*cmd, opt->since, "orders");
  cmd->footer(
      "Examples:\n"
      "  provportal search-orders --order-id ORD-12345678\n"
      "  provportal search-orders --member-id ACM100234 --dob 1958-03-14 -o table\n"
      "  provportal search-orders --status approved --from 2026-11-01 --download-letters letters/\n"
      "  provportal search-orders --updated-since 2026-11-16T00:00:00Z -o jsonl\n"
      "  provportal search-orders --since last -O orders.jsonl     # nightly: created, documented "
      "or decided\n"
      "  provportal search-orders --since last --no-advance --page-size 20 -o table     # peek\n"
      "  provportal search-orders --overdue -o csv     # decisions late by CMS-0057-F\n\n"
      "Searches every health plan and solution at once; pages are printed as they arrive (-o json\n"
      "is still one array). Table and CSV show the main columns; JSON, JSON Lines and YAML the\n"
      "whole order. --since last pulls the orders changed since the previous pull of the same "
      "filters\n"
      "and moves the watermark ($XDG_STATE_HOME/provportal/watermarks/) once the output is "
      "complete.\n"
      "Every order carries its decision clock (CMS-0057-F): received_at, complete_at (every\n"
      "required document in), decision_due (72 hours after complete for urgent cases, 7 calendar\n"
      "days for routine ones, on the portal's clock), decided_at and overdue (decided after\n"
      "decision_due, or undecided past it); --overdue lists only those, filtered by the portal.\n"
      "Exit 0 even when nothing matches (stderr says so).");
  cmd->callback([opt, &ctx] {
    ctx.declare_fields(ops::order_fields());
    ctx.action = [opt, &ctx] { return run_search(*opt, ctx); };
  });
}

}  // namespace portal::cli
