// remittance: posts the checks of 835s (the portal's remittances feed, a clearinghouse inbox or
// named files) as rows a payment-posting system loads: one per service line, claim or check, with
// the PLB items; balances every check, posts each check once across runs with --since last, and
// reconciles the claims a claims CSV says were paid against the remittance read.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "commands.hpp"
#include "exit_code.hpp"
#include "incremental.hpp"
#include "portal/ops/pages.hpp"
#include "portal/pull/watermark.hpp"
#include "portal/util/atomic_file.hpp"
#include "portal/util/crypto.hpp"
#include "portal/util/sqlite.hpp"
#include "portal/wire/wire.hpp"
#include "remittance_text.hpp"
#include "remittance_view.hpp"
#include "stream_printer.hpp"
#include "x12/reader.hpp"
#include "x12/remittance.hpp"
#include "x12/remittance_records.hpp"

namespace portal::cli {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

struct RemitOptions {
  std::vector<std::string> files;
  std::string inbox;
  SinceFlags since;
  std::string save_835;
  std::size_t page_size = 0;
  std::string level = "line";
  std::string reconcile;
  std::string reconcile_output;
};

std::vector<std::string> line_columns() {
  auto cols = remittance_columns();
  cols.emplace_back("row_type");
  cols.emplace_back("file");
  return cols;
}

std::vector<std::string> claim_columns() {
  return {"payer",
          "payee",
          "check_number",
          "check_date",
          "payment_method",
          "payer_claim_control_number",
          "patient_control_number",
          "claim_status",
          "member_id",
          "service_date",
          "charged",
          "allowed",
          "paid",
          "patient_responsibility",
          "adjustments",
          "remarks",
          "lines",
          "file"};
}

std::vector<std::string> check_columns() {
  return {"payer",
          "payer_id",
          "payee",
          "payee_id",
          "check_number",
          "check_date",
          "payment_method",
          "credit_debit",
          "total_paid",
          "claims",
          "lines",
          "charged",
          "claims_paid",
          "patient_responsibility",
          "provider_adjustments",
          "plb",
          "balanced",
          "file"};
}

const std::vector<std::string>& columns_of(const std::string& level) {
  static const auto k_line = line_columns();
  static const auto k_claim = claim_columns();
  static const auto k_check = check_columns();
  return level == "claim" ? k_claim : level == "check" ? k_check : k_line;
}

// What table and CSV show: the lists as text (the PLB items as "WO:REF 12.5; L6 -3").
json::object row_of(const json::object& record, const std::vector<std::string>& columns) {
  json::object row = remittance_row(record);
  if (const auto* plb = record.if_contains("plb"); plb && plb->is_array()) {
    std::string text;
    for (const auto& item : plb->get_array()) {
      const auto& o = item.get_object();
      if (!text.empty()) text += "; ";
      text += std::string(o.at("reason").get_string());
      if (!o.at("reference").get_string().empty())
        text += ":" + std::string(o.at("reference").get_string());
      text += " " + std::string(o.at("amount").get_string());
    }
    row["plb"] = text;
  }
  return pick_columns(row, columns);
}

// The checks already posted (by --since last): payer, check number and the check's content
// hash, in $XDG_STATE_HOME/provportal/remittance/posted.sqlite.
//
// Crash safety: a check is posted exactly when the output that carries it was put in place.
// With -O FILE the output is written to FILE.part and renamed over FILE, and the ledger is
// written in two steps around that rename:
//   1. before the rename, the run's checks go to `tentative` with FILE and the device and inode
//      of FILE.part (one transaction);
//   2. the rename (AtomicFile::commit: fsync, rename, fsync of the directory);
//   3. after it, the run's tentative rows move to `posted` (one transaction).
// A run killed at any point leaves either nothing (before 1: nothing posted, the output is not
// in place), tentative rows, or posted rows. The next run resolves tentative rows first, under
// the same lock: a rename preserves the inode, so when FILE is the file that was FILE.part the
// output did reach its place and the rows are posted; otherwise (killed before the rename, or
// the rename lost with the directory entry) the output is lost and the rows are dropped, so
// their checks are written again. To stdout there is no rename to wait for: the rows are
// recorded after the output was flushed whole (a pipe cannot take back what it passed on).
class PostedLedger {
 public:
  static Expected<std::unique_ptr<PostedLedger>> open(const fs::path& file) {
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    try {
      auto ledger = std::unique_ptr<PostedLedger>(new PostedLedger(file));
      ledger->m_db.exec(
          "CREATE TABLE IF NOT EXISTS posted (payer TEXT NOT NULL, check_number TEXT NOT NULL, "
          "content_hash TEXT NOT NULL, file TEXT NOT NULL, posted_at TEXT NOT NULL DEFAULT "
          "(strftime('%Y-%m-%dT%H:%M:%SZ','now')), PRIMARY KEY (payer, check_number, "
          "content_hash))");
      ledger->m_db.exec(
          "CREATE TABLE IF NOT EXISTS tentative (payer TEXT NOT NULL, check_number TEXT NOT "
          "NULL, content_hash TEXT NOT NULL, file TEXT NOT NULL, output TEXT NOT NULL, "
          "output_dev INTEGER NOT NULL, output_ino INTEGER NOT NULL)");
      ledger->resolve_tentative();
      return ledger;
    } catch (const std::exception& e) {
      return fail(ErrorKind::internal,
                  "cannot open the remittance ledger " + file.string() + ": " + e.what(),
                  "check that the state directory is writable (XDG_STATE_HOME)");
    }
  }
  // 0: never posted; 1: posted with this content; 2: posted with other content.
  int seen(const std::string& payer, const std::string& check, const std::string& hash) {
    auto q = m_db.query("SELECT content_hash FROM posted WHERE payer = ? AND check_number = ?",
                        {payer, check});
    int found = 0;
    while (q.step()) found = q.text(0) == hash ? 1 : std::max(found, 2);
    return found == 0 ? 0 : found;
  }
  // Step 1 (-O FILE): the checks as tentative, tied to the aside file about to become `output`.
  Expected<void> record_tentative(const std::vector<std::vector<std::string>>& checks,
                                  const fs::path& output, const fs::path& part) {
    struct stat st {};
    if (::stat(part.c_str(), &st) != 0)
      return fail(ErrorKind::internal,
                  "cannot read " + part.string() + " before putting it in place",
                  "check the output directory");
    m_output = output.string();
    try {
      sqlite::Transaction tx(m_db);
      for (const auto& c : checks)
        m_db.run(
            "INSERT INTO tentative (payer, check_number, content_hash, file, output, output_dev, "
            "output_ino) VALUES (?, ?, ?, ?, ?, ?, ?)",
            {c[0], c[1], c[2], c[3], m_output, static_cast<std::int64_t>(st.st_dev),
             static_cast<std::int64_t>(st.st_ino)});
      tx.commit();
      return {};
    } catch (const std::exception& e) {
      return fail(ErrorKind::internal,
                  std::string("the remittance ledger could not record the checks to be "
                              "posted: ") +
                      e.what(),
                  "nothing was posted and " + output.string() + " was left as it was; run again");
    }
  }
  // Step 3 (-O FILE), or the only step (stdout): the checks as posted.
  Expected<void> record(const std::vector<std::vector<std::string>>& checks) {
    try {
      sqlite::Transaction tx(m_db);
      if (!m_output.empty()) {
        move_to_posted(m_output);
      } else {
        for (const auto& c : checks)
          m_db.run(
              "INSERT OR IGNORE INTO posted (payer, check_number, content_hash, file) VALUES "
              "(?, ?, ?, ?)",
              {c[0], c[1], c[2], c[3]});
      }
      tx.commit();
      return {};
    } catch (const std::exception& e) {
      return fail(ErrorKind::internal,
                  std::string("the output was written but the remittance ledger could not "
                              "record its checks: ") +
                      e.what(),
                  m_output.empty() ? "the next --since last run writes those checks again; "
                                     "remove them there"
                                   : "the next --since last run records them (the output is "
                                     "in place)");
    }
  }

 private:
  explicit PostedLedger(const fs::path& file) : m_db(file) {}

  void move_to_posted(const std::string& output) {
    m_db.run(
        "INSERT OR IGNORE INTO posted (payer, check_number, content_hash, file) SELECT payer, "
        "check_number, content_hash, file FROM tentative WHERE output = ?",
        {output});
    m_db.run("DELETE FROM tentative WHERE output = ?", {output});
  }

  // The tentative rows a killed run left: posted when their output is in place (FILE is the
  // renamed FILE.part, same device and inode), dropped otherwise.
  void resolve_tentative() {
    std::vector<std::tuple<std::string, std::int64_t, std::int64_t>> runs;
    {
      auto q = m_db.query("SELECT DISTINCT output, output_dev, output_ino FROM tentative");
      while (q.step()) runs.emplace_back(q.text(0), q.integer(1), q.integer(2));
    }
    if (runs.empty()) return;
    sqlite::Transaction tx(m_db);
    for (const auto& run : runs) {
      const std::string& output = std::get<0>(run);
      struct stat st {};
      const bool in_place = ::stat(output.c_str(), &st) == 0 &&
                            static_cast<std::int64_t>(st.st_dev) == std::get<1>(run) &&
                            static_cast<std::int64_t>(st.st_ino) == std::get<2>(run);
      if (in_place) {
        m_db.run(
            "INSERT OR IGNORE INTO posted (payer, check_number, content_hash, file) SELECT "
            "payer, check_number, content_hash, file FROM tentative WHERE output = ? AND "
            "output_dev = ? AND output_ino = ?",
            {output, std::get<1>(run), std::get<2>(run)});
      }
      m_db.run("DELETE FROM tentative WHERE output = ? AND output_dev = ? AND output_ino = ?",
               {output, std::get<1>(run), std::get<2>(run)});
    }
    tx.commit();
  }

  sqlite::Database m_db;
  std::string m_output;  // the -O FILE of this run's tentative rows
};

// ---- --reconcile

std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        out.back() += ch;
      }
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      out.emplace_back();
    } else if (ch != '\r') {
      out.back() += ch;
    }
  }
  return out;
}

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

struct ReportedClaim {
  std::vector<std::string> numbers;
  bool paid = false;
  std::string amount;
};

// The claims of a claims CSV (`claim-status --results`, or the claims pull as CSV): their
// numbers (claim_number, or claim_numbers space- or semicolon-separated) and whether they were
// paid (status paid or finalized, or category F1; and paid_amount above 0 when there is one).
Expected<std::vector<ReportedClaim>> read_claims_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return fail(ErrorKind::input, "cannot open " + path + " (--reconcile)",
                "give the CSV that `provportal claim-status --batch ... --results` writes");
  std::string line;
  if (!std::getline(in, line))
    return fail(ErrorKind::input, path + " is empty (--reconcile)", "it needs a header row");
  const auto header = csv_fields(line);
  auto col = [&](std::initializer_list<std::string_view> names) -> int {
    for (auto n : names)
      for (std::size_t i = 0; i < header.size(); ++i)
        if (header[i] == n) return static_cast<int>(i);
    return -1;
  };
  const int number = col({"claim_number", "claim_numbers"});
  const int status = col({"status", "statuses"});
  const int category = col({"status_category", "status_categories"});
  const int amount = col({"paid_amount"});
  if (number < 0)
    return fail(ErrorKind::input,
                path + " has no claim_number or claim_numbers column (--reconcile)",
                "give the CSV that `provportal claim-status --batch ... --results` writes");
  std::vector<ReportedClaim> out;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto f = csv_fields(line);
    auto at = [&](int i) { return i >= 0 && i < static_cast<int>(f.size()) ? f[i] : ""; };
    ReportedClaim c;
    std::string numbers = at(number);
    std::replace(numbers.begin(), numbers.end(), ';', ' ');
    std::istringstream words(numbers);
    for (std::string w; words >> w;) c.numbers.push_back(w);
    const std::string s = lower(at(status)), cat = at(category);
    bool paid = s.find("paid") != std::string::npos || s.find("finalized") != std::string::npos ||
                cat.find("F1") != std::string::npos;
    c.amount = at(amount);
    if (amount >= 0 && !c.amount.empty()) {
      auto cents = x12::parse_cents(c.amount);
      paid = paid && cents && *cents > 0;
    }
    c.paid = paid;
    if (!c.numbers.empty()) out.push_back(std::move(c));
  }
  return out;
}

struct RemitClaim {
  std::string patient_control, payer_control, check;
  x12::Cents paid = 0;
};

Expected<void> reconcile(const RemitOptions& opt, const std::vector<RemitClaim>& remitted,
                         Context& ctx) {
  auto claims = read_claims_csv(opt.reconcile);
  if (!claims) return fail(claims.error());
  std::set<std::string> in_remittance, in_csv;
  for (const auto& c : remitted) {
    in_remittance.insert(c.patient_control);
    in_remittance.insert(c.payer_control);
  }
  std::ostringstream csv;
  csv << "kind,claim_number,check_number,amount\n";
  std::size_t unpaid = 0, unknown = 0;
  for (const auto& c : *claims) {
    for (const auto& n : c.numbers) in_csv.insert(n);
    if (!c.paid) continue;
    bool found = false;
    for (const auto& n : c.numbers) found = found || in_remittance.count(n) > 0;
    if (found) continue;
    ++unpaid;
    csv << "paid_without_remittance," << c.numbers.front() << ",," << c.amount << "\n";
    ctx.err() << "reconcile: paid_without_remittance claim " << c.numbers.front()
              << (c.amount.empty() ? "" : " paid " + c.amount) << "\n";
  }
  for (const auto& c : remitted) {
    if (in_csv.count(c.payer_control) || in_csv.count(c.patient_control)) continue;
    ++unknown;
    const std::string& n = c.payer_control.empty() ? c.patient_control : c.payer_control;
    csv << "unknown_claim," << n << "," << c.check << "," << x12::format_cents(c.paid) << "\n";
    ctx.err() << "reconcile: unknown_claim claim " << n << " check " << c.check << " paid "
              << x12::format_cents(c.paid) << "\n";
  }
  ctx.err() << "reconcile: " << unpaid << " paid claim(s) without a remittance line, " << unknown
            << " remittance claim(s) not in " << opt.reconcile << "\n";
  if (!opt.reconcile_output.empty()) {
    auto file = AtomicFile::create(opt.reconcile_output);
    if (!file) return fail(file.error());
    (*file)->stream() << csv.str();
    if (auto done = (*file)->commit(); !done) return fail(done.error());
  }
  return {};
}

// ---- the run

bool is_remittance_name(const fs::path& p) {
  const std::string ext = lower(p.extension().string());
  return ext == ".835" || ext == ".x12";
}

Expected<std::vector<std::string>> input_files(const RemitOptions& opt, Context& ctx,
                                               bool& from_inbox) {
  from_inbox = false;
  if (!opt.files.empty()) {
    if (!opt.inbox.empty())
      return fail(ErrorKind::usage, "give --inbox or FILE arguments, not both");
    return opt.files;
  }
  std::string inbox = opt.inbox;
  if (inbox.empty()) {
    auto settings = ctx.settings();
    if (settings) inbox = (*settings)->profile.inbox;
  }
  if (inbox.empty())
    return fail(ErrorKind::usage, "no 835 files to read",
                "give FILE arguments, --inbox DIR, or set the profile's inbox (PROVPORTAL_INBOX)");
  std::error_code ec;
  std::vector<std::string> files;
  for (fs::directory_iterator it(inbox, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file() && is_remittance_name(it->path()) &&
        !it->path().filename().string().starts_with("."))
      files.push_back(it->path().string());
  if (ec)
    return fail(ErrorKind::input, "cannot read the inbox " + inbox + ": " + ec.message(),
                "check --inbox (or the profile's inbox, PROVPORTAL_INBOX)");
  std::sort(files.begin(), files.end());
  from_inbox = true;
  return files;
}

// One run's posting: each check read is balanced, skipped when the ledger holds it already,
// written as rows and (balanced) recorded around the output's commit (PostedLedger).
//
// CSV and JSON Lines (without --fields) are written as text straight from the parsed checks
// (remittance_text.hpp), a megabyte at a time; the other formats build the same records as JSON
// values for the StreamPrinter. A file's checks are posted only when the whole file reads as
// 835s: a file of up to k_in_memory bytes is read once and its checks kept until its end; a
// bigger one is read twice, once to check it and once to post it check by check, so memory does
// not grow with the file.
class Posting {
 public:
  Posting(const RemitOptions& opt, Context& ctx, PostedLedger* ledger)
      : m_opt(opt),
        m_ctx(ctx),
        m_ledger(ledger),
        m_printer(
            ctx, columns_of(opt.level),
            [this](const json::object& record) { return row_of(record, columns_of(m_opt.level)); }),
        m_extras{.row_type = opt.level == "line", .with_file = true, .file = {}},
        m_text_rows(ctx.fields() == nullptr &&
                    (ctx.format() == output::Format::csv || ctx.format() == output::Format::jsonl)),
        m_json_rows(m_rows, m_extras, true),
        m_csv_rows(m_rows, columns_of(opt.level), m_extras),
        m_content_json(m_content, {}, false) {}

  // Posts the 835 sets of `bytes`, read from `path` and named `name` in the rows. Passes over
  // bytes holding no 835 when `skip_other` (an inbox's 999s). False once stdout is closed.
  bool post(const std::string& path, const std::string& name, std::string_view bytes,
            bool skip_other);
  // The same for the file at `path`, read as the class comment says.
  bool post_file(const std::string& path, const std::string& name, bool skip_other);
  // Hands the rows of a page of the portal's feed to the output (the feed is slower than the
  // output: its rows go out as they come).
  void end_page() {
    if (!m_text_rows) return;
    write_text();
    m_ctx.out().flush();
  }
  // Ends the output; counts what was written and records the posted checks.
  Expected<void> finish();
  // Whether stdout's reader went away.
  bool closed() const { return m_closed; }

  std::size_t read_files = 0, failed = 0, written = 0, skipped = 0, unbalanced = 0;
  std::vector<RemitClaim> remitted;

  static constexpr std::uintmax_t k_in_memory = 8u << 20;

 private:
  // Whether a file's read (its problems) allows posting it; counts and reports it otherwise.
  bool readable(const std::string& path, x12::ReadSummary& summary, bool any_check,
                bool skip_other);
  // post() of text rows: each check posted as it is read, what it does kept aside (rows,
  // notices, counts, ledger entries) and dropped if the file turns out not well-formed.
  bool post_staged(const std::string& path, const std::string& name, std::string_view bytes,
                   bool skip_other);
  // A notice, held back while a file is staged.
  void note(std::string text) {
    if (m_staging)
      m_staged_notices.push_back(std::move(text));
    else
      m_ctx.notice(text);
  }
  // Balances, checks the ledger and writes one check's rows; false once stdout is closed.
  bool post_check(const x12::Remittance& r, const std::string& path, const std::string& name);
  void write_rows(const x12::Remittance& r, bool balanced, const std::string& name);
  // Hands the text rows to the output; false once stdout is closed.
  bool write_text();

  // The text of rows handed to the output at once (one write(2) a megabyte).
  static constexpr std::size_t k_chunk = 1u << 20;

  const RemitOptions& m_opt;
  Context& m_ctx;
  PostedLedger* m_ledger;
  StreamPrinter m_printer;
  RowExtras m_extras;
  const bool m_text_rows;
  output::JsonText m_rows;
  JsonRecords m_json_rows;
  CsvRecords m_csv_rows;
  output::JsonText m_content;
  JsonRecords m_content_json;
  bool m_header = false;
  std::vector<std::vector<std::string>> m_to_record;
  std::vector<std::string> m_staged_notices;
  bool m_staging = false;
  std::unique_ptr<char[]> m_file;  // the bytes of the file being posted (up to k_in_memory)
  std::size_t m_file_room = 0;
  bool m_closed = false;
};

bool Posting::readable(const std::string& path, x12::ReadSummary& summary, bool any_check,
                       bool skip_other) {
  auto& problems = summary.problems;
  const bool other_sets = std::any_of(problems.begin(), problems.end(), [](const x12::Error& e) {
    return e.code == x12::ErrorCode::transaction_not_supported && e.segment_id.starts_with("ST");
  });
  std::erase_if(problems, [](const x12::Error& e) {
    return e.code == x12::ErrorCode::transaction_not_supported && e.segment_id.starts_with("ST");
  });
  if (!any_check && problems.empty()) {
    if (skip_other) return false;  // a 999 or 277 beside the 835s
    ++failed;
    m_ctx.notice("error: " + path + " holds no 835 transaction set" +
                 (other_sets ? " (its sets are of another kind)" : "") +
                 "; `provportal x12 parse --as segments " + path + "` shows what it holds");
    return false;
  }
  if (!problems.empty()) {
    ++failed;
    for (const auto& p : problems) m_ctx.notice("error: " + finding_text(path, p));
    m_ctx.notice("error: " + path + " is not a well-formed 835: nothing of it was written; " +
                 "`provportal x12 validate " + path + "` checks it in full");
    return false;
  }
  ++read_files;
  return true;
}

bool Posting::post(const std::string& path, const std::string& name, std::string_view bytes,
                   bool skip_other) {
  if (m_text_rows) return post_staged(path, name, bytes, skip_other);
  std::vector<x12::Remittance> checks;
  x12::Reader reader = x12::Reader::from_memory(bytes);
  auto summary = x12::read_835(reader, [&checks](x12::Remittance&& r, const x12::Segment&) {
    checks.push_back(std::move(r));
    return true;
  });
  if (!readable(path, summary, !checks.empty(), skip_other)) return true;
  for (const auto& r : checks)
    if (!post_check(r, path, name)) return false;
  return true;
}

bool Posting::post_staged(const std::string& path, const std::string& name, std::string_view bytes,
                          bool skip_other) {
  if (m_ctx.format() == output::Format::csv && !m_header) {
    m_csv_rows.header();
    m_header = true;
  }
  // What the file's checks do is kept aside until the whole file read well.
  const std::size_t rows = m_rows.size(), to_record = m_to_record.size(), claims = remitted.size();
  const std::size_t was_written = written, was_skipped = skipped, was_unbalanced = unbalanced;
  m_staged_notices.clear();
  m_staging = true;
  bool any_check = false;
  x12::Reader reader = x12::Reader::from_memory(bytes);
  auto summary = x12::read_835(
      reader, [this, &any_check, &path, &name](x12::Remittance&& r, const x12::Segment&) {
        any_check = true;
        post_check(r, path, name);
        return true;
      });
  m_staging = false;
  if (!readable(path, summary, any_check, skip_other)) {
    m_rows.truncate(rows);
    m_to_record.resize(to_record);
    remitted.resize(claims);
    written = was_written;
    skipped = was_skipped;
    unbalanced = was_unbalanced;
    return true;
  }
  for (const auto& n : m_staged_notices) m_ctx.notice(n);
  return m_rows.size() < k_chunk || write_text();
}

bool Posting::post_file(const std::string& path, const std::string& name, bool skip_other) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    ++failed;
    m_ctx.notice("error: cannot open " + path + "; check the path");
    return true;
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size >= 0 &&
      static_cast<std::uintmax_t>(st.st_size) <= k_in_memory) {
    // Read whole into one buffer kept for the next file (no new pages each file).
    const auto size = static_cast<std::size_t>(st.st_size);
    if (m_file_room < size + 1) {
      m_file_room = std::max<std::size_t>(size + 1, 1u << 20);
      m_file.reset(new char[m_file_room]);
    }
    std::size_t got = 0;
    while (got < m_file_room) {
      const ssize_t n = ::read(fd, m_file.get() + got, m_file_room - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        ++failed;
        m_ctx.notice("error: cannot read " + path + "; check the path");
        return true;
      }
      if (n == 0) break;
      got += static_cast<std::size_t>(n);
    }
    if (got <= size) return post(path, name, std::string_view(m_file.get(), got), skip_other);
    // It grew while read: read it as a big file.
    if (::lseek(fd, 0, SEEK_SET) != 0) {
      ++failed;
      m_ctx.notice("error: cannot read " + path + " again; check the path");
      return true;
    }
  }
  // Once to check the whole file, then again to post it check by check.
  bool any_check = false;
  x12::ReadSummary summary;
  {
    x12::Reader reader(fd);
    summary = x12::read_835(reader, [&any_check](x12::Remittance&&, const x12::Segment&) {
      any_check = true;
      return true;
    });
  }
  if (!readable(path, summary, any_check, skip_other)) return true;
  if (::lseek(fd, 0, SEEK_SET) != 0) {
    ++failed;
    m_ctx.notice("error: cannot read " + path + " again; check the path");
    return true;
  }
  bool open = true;
  x12::Reader reader(fd);
  x12::read_835(reader, [this, &open, &path, &name](x12::Remittance&& r, const x12::Segment&) {
    open = post_check(r, path, name);
    return open;
  });
  return open;
}

bool Posting::post_check(const x12::Remittance& r, const std::string& path,
                         const std::string& name) {
  if (!m_opt.reconcile.empty())
    for (const auto& c : r.claims)
      remitted.push_back(
          {c.patient_control_number, c.payer_claim_control_number, r.trace.number, c.paid});
  const auto findings = x12::balance(r);
  if (m_ledger) {
    // The check's content: what it pays, as posted.
    m_content.clear();
    m_content.begin_array();
    x12::content_records(r, m_content_json);
    m_content.end_array();
    const std::string hash = sha256_hex(m_content.view());
    const std::string& payer = x12::payer_key(r);
    const int seen = m_ledger->seen(payer, r.trace.number, hash);
    if (seen == 1) {
      ++skipped;
      return true;
    }
    if (seen == 2)
      note("warning: " + path + ": check " + r.trace.number +
           " was posted before with other content; written again, review it");
    if (findings.empty()) m_to_record.push_back({payer, r.trace.number, hash, name});
  }
  for (const auto& f : findings) note(path + ": " + x12::to_string(f));
  if (!findings.empty()) {
    ++unbalanced;
    note(path + ": check " + r.trace.number +
         " does not balance: written, not recorded as posted (reported again next run)");
  }
  ++written;
  write_rows(r, findings.empty(), name);
  if (m_text_rows) return m_staging || m_rows.size() < k_chunk || write_text();
  return !m_closed;
}

void Posting::write_rows(const x12::Remittance& r, bool balanced, const std::string& name) {
  if (m_text_rows) {
    x12::RecordSink* sink = &m_json_rows;
    if (m_ctx.format() == output::Format::csv) {
      if (!m_header) {
        m_csv_rows.header();
        m_header = true;
      }
      sink = &m_csv_rows;
    }
    m_json_rows.set_file(name);
    m_csv_rows.set_file(name);
    if (m_opt.level == "check")
      x12::check_record(r, balanced, *sink);
    else if (m_opt.level == "claim")
      x12::claim_records(r, *sink);
    else
      x12::line_records(r, *sink);
    return;
  }
  json::array page;
  RowExtras extras = m_extras;
  extras.file = name;
  ValueRecords records([&page](json::object&& record) { page.push_back(std::move(record)); },
                       extras);
  if (m_opt.level == "check")
    x12::check_record(r, balanced, records);
  else if (m_opt.level == "claim")
    x12::claim_records(r, records);
  else
    x12::line_records(r, records);
  if (!m_printer.page(page)) m_closed = true;
}

bool Posting::write_text() {
  if (m_closed) {
    m_rows.clear();
    return false;
  }
  if (m_rows.size() == 0) return true;
  const std::string_view text = m_rows.view();
  m_ctx.out().write(text.data(), static_cast<std::streamsize>(text.size()));
  m_rows.clear();
  if (m_ctx.output_closed()) m_closed = true;
  return !m_closed;
}

Expected<void> Posting::finish() {
  if (m_text_rows) {
    if (m_ctx.format() == output::Format::csv && !m_header) {
      m_csv_rows.header();
      m_header = true;
    }
    write_text();
    m_ctx.out().flush();
  } else {
    m_printer.finish();
  }
  if (m_closed || m_ctx.output_closed()) return fail(ErrorKind::output_closed, "stdout was closed");
  if (read_files == 0 && failed > 0) {
    return fail(ErrorKind::input,
                "no 835 could be read: " + std::to_string(failed) + " file(s) failed, above",
                "fix or replace those files and run again");
  }
  // The ledger around the output's rename: see PostedLedger.
  const AtomicFile* file = m_ctx.output_file();
  if (m_ledger && file && !file->committed() && !m_to_record.empty()) {
    m_ctx.out().flush();
    if (auto done = m_ledger->record_tentative(m_to_record, file->path(), file->part_path()); !done)
      return fail(done.error());
  }
  if (auto done = m_ctx.commit_output(); !done) return fail(done.error());
  if (m_ledger) {
    if (auto done = m_ledger->record(m_to_record); !done) return fail(done.error());
  }
  return {};
}

// The ledger of --since last and the lock that makes its run the only one.
struct LedgerHold {
  std::unique_ptr<pull::WatermarkLock> lock;
  std::unique_ptr<PostedLedger> ledger;
};

Expected<LedgerHold> hold_ledger(Context& ctx) {
  // One --since last run at a time: two at once would both write a check neither has recorded.
  const fs::path dir = config::state_dir(ctx.env()) / "remittance";
  LedgerHold hold;
  auto locked = pull::WatermarkLock::acquire(dir / "posting");
  if (!locked && locked.error().kind == ErrorKind::usage)
    return fail(ErrorKind::usage,
                "another `provportal remittance --since last` is running (" +
                    (dir / "posting.lock").string() + " is locked)",
                "wait for it to finish; two at once would write the same checks twice");
  if (!locked) return fail(locked.error());
  hold.lock = std::move(*locked);
  auto opened = PostedLedger::open(dir / "posted.sqlite");
  if (!opened) return fail(opened.error());
  hold.ledger = std::move(*opened);
  return hold;
}

void summarise(Context& ctx, const Posting& posting, const std::string& read_what) {
  ctx.notice(std::to_string(posting.written) + " check(s) written, " +
             std::to_string(posting.skipped) + " already posted and skipped, " +
             std::to_string(posting.unbalanced) + " not balanced, " +
             std::to_string(posting.failed) + " " + read_what + " not read");
}

// True when the checks come from the portal: no FILE, no --inbox and no profile inbox.
bool from_portal(const RemitOptions& opt, Context& ctx) {
  if (!opt.files.empty() || !opt.inbox.empty()) return false;
  auto settings = ctx.settings();
  return !settings || (*settings)->profile.inbox.empty();
}

// A check's whole 835 as --save-835 names it: PAYER_CHECK.835, reduced to safe characters.
std::string saved_name(const std::string& payer, const std::string& check) {
  std::string out = payer + "_" + check;
  for (char& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '-';
  return out + ".835";
}

Expected<void> run_portal_pull(const RemitOptions& opt, Context& ctx) {
  std::optional<LedgerHold> hold;
  auto since = opt.since.since.empty() ? Expected<pull::Since>(pull::Since{})
                                       : pull::parse_since(opt.since.since);
  if (!since) return fail(since.error());
  const bool last = !opt.since.since.empty() && since->kind == pull::Since::Kind::last;
  if (last && !opt.since.no_advance) {
    auto held = hold_ledger(ctx);
    if (!held) return fail(held.error());
    hold = std::move(*held);
  }
  auto pull =
      IncrementalPull::start(ctx, opt.since, "remittance", "remittances", "the remittances feed");
  if (!pull) return fail(pull.error());
  auto wire = ctx.chosen_wire();
  if (!wire) return fail(wire.error());
  auto api = ctx.api_with_session();
  if (!api) return fail(api.error());
  wire::PageQuery query;
  query.filters = {{"changed_since", (*pull)->changed_since()}};
  query.page_size = opt.page_size;
  auto pages = ops::PageReader::open(**api, *wire, wire::Feed::remittances, query);
  if (!pages) return fail(pages.error());
  Posting posting(opt, ctx, hold ? hold->ledger.get() : nullptr);
  std::size_t checks = 0;
  while (true) {
    auto page = pages->next();
    if (!page) return fail(page.error());
    if (!*page) break;
    (*pull)->answered((*page)->answer);
    for (const auto& item : (*page)->items) {
      const auto* o = item.if_object();
      const auto* text = o ? o->if_contains("x12") : nullptr;
      const auto* check = o ? o->if_contains("check_number") : nullptr;
      if (!text || !text->is_string() || !check || !check->is_string())
        return fail(ErrorKind::unavailable,
                    "the portal's remittances feed sent an item without its check_number and "
                    "x12",
                    "report it to the portal's operator");
      const std::string number(check->get_string());
      const auto* payer = o->if_contains("payer");
      const auto* payer_id =
          payer && payer->is_object() ? payer->get_object().if_contains("id") : nullptr;
      const std::string name =
          saved_name(payer_id && payer_id->is_string() ? std::string(payer_id->get_string())
                                                       : std::string("payer"),
                     number);
      ++checks;
      if (!opt.save_835.empty()) {
        std::error_code ec;
        fs::create_directories(opt.save_835, ec);
        if (auto saved =
                write_file_atomically(fs::path(opt.save_835) / name,
                                      std::string_view(text->get_string()), {.mode = 0644});
            !saved)
          return fail(ErrorKind::input,
                      "cannot write " + (fs::path(opt.save_835) / name).string() + ": " +
                          saved.error().message,
                      "check --save-835 DIR");
      }
      if (!posting.post("check " + number, name, text->get_string(), false)) break;
    }
    posting.end_page();
    if (posting.closed()) break;
  }
  if (auto done = posting.finish(); !done) return fail(done.error());
  summarise(ctx, posting, "835(s) of the portal");
  if (auto done = (*pull)->finish(ctx, checks, "remittance"); !done) return fail(done.error());
  if (!opt.reconcile.empty()) {
    if (auto done = reconcile(opt, posting.remitted, ctx); !done) return fail(done.error());
  }
  if (posting.unbalanced > 0 || posting.failed > 0) ctx.exit_code = k_exit_partial;
  return {};
}

Expected<void> run_remittance(const RemitOptions& opt, Context& ctx) {
  if (from_portal(opt, ctx)) return run_portal_pull(opt, ctx);
  if (!opt.since.since.empty() && opt.since.since != "last")
    return fail(ErrorKind::usage,
                "--since " + opt.since.since +
                    " pulls the portal's remittances feed; 835 files "
                    "and inboxes take --since last",
                "--since last writes the checks not posted by an earlier --since last run");
  if (opt.since.no_advance)
    return fail(ErrorKind::usage, "--no-advance goes with --since last from the portal");
  if (!opt.save_835.empty() || opt.page_size != 0)
    return fail(ErrorKind::usage,
                "--save-835 and --page-size go with the portal's feed, not "
                "with FILEs or an inbox");
  bool from_inbox = false;
  auto files = input_files(opt, ctx, from_inbox);
  if (!files) return fail(files.error());

  std::optional<LedgerHold> hold;
  if (opt.since.since == "last") {
    auto held = hold_ledger(ctx);
    if (!held) return fail(held.error());
    hold = std::move(*held);
  }
  Posting posting(opt, ctx, hold ? hold->ledger.get() : nullptr);
  for (const auto& path : *files) {
    if (!posting.post_file(path, fs::path(path).filename().string(), from_inbox)) break;
  }
  if (auto done = posting.finish(); !done) return fail(done.error());
  summarise(ctx, posting, "file(s)");
  if (!opt.reconcile.empty()) {
    if (auto done = reconcile(opt, posting.remitted, ctx); !done) return fail(done.error());
  }
  if (posting.unbalanced > 0 || posting.failed > 0) ctx.exit_code = k_exit_partial;
  return {};
}

}  // namespace

void setup_remittance(CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<RemitOptions>();
  auto* cmd = app.add_subcommand(
      "remittance",
      "Post the checks of 835 remittance advice (from the portal, an inbox or files) as rows "
      "(per service line, claim or check), balanced, each check once");
  cmd->add_option("file", opt->files,
                  "835 files to read (default: every *.835 and *.x12 of the inbox)")
      ->type_name("FILE");
  cmd->add_option("--inbox", opt->inbox,
                  "The directory to read every *.835 and *.x12 holding an 835 from (default: "
                  "the profile's inbox, PROVPORTAL_INBOX)")
      ->type_name("DIR");
  add_since_flags(*cmd, opt->since, "remittances");
  cmd->add_option("--save-835", opt->save_835,
                  "From the portal: also save each check's whole 835 in DIR as PAYER_CHECK.835")
      ->type_name("DIR");
  cmd->add_option("--page-size", opt->page_size,
                  "From the portal: remittances per page (1-100; default: the portal's, 50)")
      ->type_name("N")
      ->check(CLI::Range(1, 100));
  cmd->add_option("--level", opt->level, "One row per service line (default), claim or check")
      ->type_name("LEVEL")
      ->check(CLI::IsMember({"line", "claim", "check"}));
  cmd->add_option("--reconcile", opt->reconcile,
                  "A claims CSV (claim-status --results, or the claims pull as CSV): report paid "
                  "claims without a remittance line and remittance claims not in it")
      ->type_name("CSV");
  cmd->add_option("--reconcile-output", opt->reconcile_output,
                  "Write the --reconcile findings as CSV (kind, claim_number, check_number, "
                  "amount) to FILE, atomically")
      ->type_name("FILE");
  cmd->footer(
      "Examples:\n"
      "  provportal remittance --since last -o csv -O posting.csv --save-835 835s/  # the portal\n"
      "  provportal remittance --since 7d --level check -o table\n"
      "  provportal remittance --inbox inbox/ -o csv -O remittance.csv\n"
      "  provportal remittance --since last -o csv -O posting-$(date +%F).csv\n"
      "  provportal remittance inbox/835_0001.x12 --level check -o table\n"
      "  provportal remittance --inbox inbox/ --reconcile claim-results.csv \\\n"
      "      --reconcile-output unmatched.csv -o csv > remittance.csv\n\n"
      "Rows (--level line): payer, payee, check_number, check_date, payment_method,\n"
      "payer_claim_control_number, patient_control_number, claim_status, member_id, "
      "service_date,\n"
      "procedure_code, modifiers, charged, allowed, paid, patient_responsibility, adjustments\n"
      "(group-CARC amount each), remarks, row_type and file. Amounts are exact decimals; a "
      "reversal\n"
      "(claim_status 22) has the negative amounts of its 835. The claim-level adjustments of a "
      "claim\n"
      "with service lines are a row of their own, row_type claim_adjustment, paid = -their "
      "sum.\n"
      "Each PLB item is a row of its own, row_type provider_adjustment: its reference in\n"
      "payer_claim_control_number, its fiscal date in service_date, adjustments PLB-REASON "
      "AMOUNT\n"
      "and paid = -AMOUNT, so the paid of a check's rows add up to its BPR02. --level claim gives "
      "one row per CLP (adjustments of the claim "
      "and\n"
      "its lines); --level check one per BPR/TRN with total_paid, the sums of its claims, "
      "its PLB\n"
      "items (plb) and their total (provider_adjustments), and balanced.\n\n"
      "Where the 835s come from: FILE arguments; else --inbox DIR (or the profile's inbox);\n"
      "else the portal's remittances feed (GET /v1/remittances, signed in with `provportal "
      "login`),\n"
      "oldest first, page by page. From the portal, --since last|TIME|DATE|DURATION asks only "
      "for the\n"
      "835s issued since then (last: since this profile's previous pull, a watermark moved "
      "after the\n"
      "output was written, as claim-status does), and --save-835 DIR keeps each whole 835. "
      "Files and\n"
      "inboxes take --since last only (the ledger below).\n\n"
      "Every check is balanced (lines, claims, BPR02 = CLP04 - PLB); a sum that does not add "
      "up goes\n"
      "to stderr as FILE: check N claim C line L: expected X, found Y (difference D); RULE, "
      "and the\n"
      "check is still written. --since last keeps the checks posted (payer, check number and a "
      "hash\n"
      "of the check's content) in $XDG_STATE_HOME/provportal/remittance/posted.sqlite, "
      "recorded\n"
      "after the output was written whole: the same check arriving again is skipped and "
      "counted; an\n"
      "unbalanced check is not recorded, so it is reported again next run.\n"
      "--reconcile prints `reconcile: paid_without_remittance claim C` and `reconcile: "
      "unknown_claim\n"
      "claim C check N paid A` lines and a summary on stderr (--reconcile-output: the same as "
      "CSV).\n"
      "In an inbox, files holding no 835 (999s, 277s) are passed over. A negative amount is "
      "written\n"
      "as the plain number it is in every format, CSV included (-160.00).\n\n"
      "Exit status 0 when every check was read and balances; 1 when a check does not balance "
      "or a\n"
      "file could not be read (the rest is written); 2 for a usage error; 3 when no file could "
      "be\n"
      "read as an 835 (each error names the file and segment).");
  cmd->callback([opt, &ctx] {
    ctx.declare_fields(columns_of(opt->level));
    ctx.action = [opt, &ctx] { return run_remittance(*opt, ctx); };
  });
}

}  // namespace portal::cli
