// remittance: posts the checks of 835s (the portal's remittances feed, a clearinghouse inbox or
// named files) as rows a payment-posting system loads: one per service line, claim or check, with
// the PLB items; balances every check, posts each check once across runs with --since last, and
// reconciles the claims a claims CSV says were paid against the remittance read.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

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
#include "remittance_view.hpp"
#include "stream_printer.hpp"
#include "x12/reader.hpp"
#include "x12/remittance.hpp"

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

// The payer as the ledger names it: TRN03 (1 + the payer's tax ID), else N1*PR's ID.
std::string payer_key(const x12::Remittance& r) {
  return r.trace.originator.empty() ? r.payer.id : r.trace.originator;
}

json::object check_fields(const x12::Remittance& r) {
  return json::object{{"payer", r.payer.last_or_org},
                      {"payee", r.payee.last_or_org},
                      {"check_number", r.trace.number},
                      {"check_date", r.payment_date},
                      {"payment_method", r.payment_method}};
}

// A PLB item as a line-level row: its paid is what it does to the deposit (-amount), so the
// paid of a check's rows add up to BPR02; its reference goes in payer_claim_control_number.
json::object plb_record(const x12::Remittance& r, const x12::ProviderAdjustment& p) {
  json::object record = check_fields(r);
  record.emplace("payer_claim_control_number", p.reference);
  record.emplace("patient_control_number", "");
  record.emplace("claim_status", "");
  record.emplace("member_id", "");
  record.emplace("service_date", p.fiscal_date);
  record.emplace("procedure_code", "");
  record.emplace("modifiers", json::array{});
  record.emplace("charged", "0");
  record.emplace("allowed", nullptr);
  record.emplace("paid", x12::format_cents(-p.amount));
  record.emplace("patient_responsibility", "0");
  record.emplace("adjustments", json::array{json::object{{"group", "PLB"},
                                                         {"carc", p.reason},
                                                         {"amount", x12::format_cents(p.amount)}}});
  record.emplace("remarks", json::array{});
  return record;
}

// The claim-level CAS of a claim with service lines as a line-level row of its own: paid is
// -their sum, so the paid of a check's rows add up to BPR02 (CLP04 = SVC03s - claim CAS).
json::object claim_adjustment_record(const x12::Remittance& r, const x12::RemittanceClaim& c) {
  json::object record = remittance_claim_record(r, c);
  x12::Cents total = 0, owed = 0;
  for (const auto& a : c.adjustments) {
    total += a.amount;
    if (a.group == "PR") owed += a.amount;
  }
  record.emplace("service_date", first_date(c.dates, {"232", "050"}));
  record.emplace("procedure_code", "");
  record.emplace("modifiers", json::array{});
  record.emplace("charged", "0");
  record.emplace("allowed", nullptr);
  record.emplace("paid", x12::format_cents(-total));
  record.emplace("patient_responsibility", x12::format_cents(owed));
  record.emplace("adjustments", adjustments_json(c.adjustments));
  record.emplace("remarks", strings_json(c.remarks));
  return record;
}

json::object claim_record(const x12::Remittance& r, const x12::RemittanceClaim& c) {
  json::object record = remittance_claim_record(r, c);
  record.emplace("service_date", first_date(c.dates, {"232", "050"}));
  record.emplace("charged", x12::format_cents(c.charged));
  x12::Cents allowed = 0;
  bool all_allowed = !c.lines.empty();
  std::vector<x12::Adjustment> adjustments = c.adjustments;
  std::vector<std::string> remarks = c.remarks;
  for (const auto& l : c.lines) {
    if (l.allowed)
      allowed += *l.allowed;
    else
      all_allowed = false;
    adjustments.insert(adjustments.end(), l.adjustments.begin(), l.adjustments.end());
    for (const auto& m : l.remarks)
      if (std::find(remarks.begin(), remarks.end(), m) == remarks.end()) remarks.push_back(m);
  }
  if (all_allowed)
    record.emplace("allowed", x12::format_cents(allowed));
  else
    record.emplace("allowed", nullptr);
  record.emplace("paid", x12::format_cents(c.paid));
  record.emplace("patient_responsibility", x12::format_cents(c.patient_responsibility));
  record.emplace("adjustments", adjustments_json(adjustments));
  record.emplace("remarks", strings_json(remarks));
  record.emplace("lines", c.lines.size());
  return record;
}

json::object check_record(const x12::Remittance& r, bool balanced) {
  json::object record = check_fields(r);
  record.emplace("payer_id", payer_key(r));
  record.emplace("payee_id", r.payee.id);
  record.emplace("credit_debit", r.credit_debit);
  record.emplace("total_paid",
                 x12::format_cents(r.credit_debit == "D" ? -r.total_paid : r.total_paid));
  x12::Cents charged = 0, paid = 0, owed = 0, plb = 0;
  std::size_t lines = 0;
  for (const auto& c : r.claims) {
    charged += c.charged;
    paid += c.paid;
    owed += c.patient_responsibility;
    lines += c.lines.size();
  }
  json::array items;
  for (const auto& p : r.provider_adjustments) {
    plb += p.amount;
    items.push_back(json::object{{"reason", p.reason},
                                 {"reference", p.reference},
                                 {"fiscal_date", p.fiscal_date},
                                 {"amount", x12::format_cents(p.amount)}});
  }
  record.emplace("claims", r.claims.size());
  record.emplace("lines", lines);
  record.emplace("charged", x12::format_cents(charged));
  record.emplace("claims_paid", x12::format_cents(paid));
  record.emplace("patient_responsibility", x12::format_cents(owed));
  record.emplace("provider_adjustments", x12::format_cents(plb));
  record.emplace("plb", std::move(items));
  record.emplace("balanced", balanced);
  return record;
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
  Expected<void> record(const std::vector<std::vector<std::string>>& checks) {
    try {
      sqlite::Transaction tx(m_db);
      for (const auto& c : checks)
        m_db.run(
            "INSERT OR IGNORE INTO posted (payer, check_number, content_hash, file) VALUES (?, "
            "?, ?, ?)",
            {c[0], c[1], c[2], c[3]});
      tx.commit();
      return {};
    } catch (const std::exception& e) {
      return fail(ErrorKind::internal,
                  std::string("the output was written but the remittance ledger could not "
                              "record its checks: ") +
                      e.what(),
                  "the next --since last run writes those checks again; remove them there");
    }
  }

 private:
  explicit PostedLedger(const fs::path& file) : m_db(file) {}
  sqlite::Database m_db;
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
// written as rows and (balanced) recorded after the output was committed.
class Posting {
 public:
  Posting(const RemitOptions& opt, Context& ctx, PostedLedger* ledger)
      : m_opt(opt),
        m_ctx(ctx),
        m_ledger(ledger),
        m_printer(ctx, columns_of(opt.level), [this](const json::object& record) {
          return row_of(record, columns_of(m_opt.level));
        }) {}

  // Posts the 835 sets of `bytes`, read from `path` and named `name` in the rows. Passes over
  // bytes holding no 835 when `skip_other` (an inbox's 999s). False once stdout is closed.
  bool post(const std::string& path, const std::string& name, std::string_view bytes,
            bool skip_other);
  // Ends the output; counts what was written and records the posted checks.
  Expected<void> finish();
  // Whether stdout's reader went away.
  bool closed() const { return m_closed; }

  std::size_t read_files = 0, failed = 0, written = 0, skipped = 0, unbalanced = 0;
  std::vector<RemitClaim> remitted;

 private:
  const RemitOptions& m_opt;
  Context& m_ctx;
  PostedLedger* m_ledger;
  StreamPrinter m_printer;
  std::vector<std::vector<std::string>> m_to_record;
  bool m_closed = false;
};

bool Posting::post(const std::string& path, const std::string& name, std::string_view bytes,
                   bool skip_other) {
  std::vector<x12::Remittance> checks;
  x12::Reader reader = x12::Reader::from_memory(bytes);
  auto summary = x12::read_835(reader, [&checks](x12::Remittance&& r, const x12::Segment&) {
    checks.push_back(std::move(r));
    return true;
  });
  auto& problems = summary.problems;
  const bool other_sets = std::any_of(problems.begin(), problems.end(), [](const x12::Error& e) {
    return e.code == x12::ErrorCode::transaction_not_supported && e.segment_id.starts_with("ST");
  });
  std::erase_if(problems, [](const x12::Error& e) {
    return e.code == x12::ErrorCode::transaction_not_supported && e.segment_id.starts_with("ST");
  });
  if (checks.empty() && problems.empty()) {
    if (skip_other) return true;  // a 999 or 277 beside the 835s
    ++failed;
    m_ctx.notice("error: " + path + " holds no 835 transaction set" +
                 (other_sets ? " (its sets are of another kind)" : "") +
                 "; `provportal x12 parse --as segments " + path + "` shows what it holds");
    return true;
  }
  if (!problems.empty()) {
    ++failed;
    for (const auto& p : problems) m_ctx.notice("error: " + finding_text(path, p));
    m_ctx.notice("error: " + path + " is not a well-formed 835: nothing of it was written; " +
                 "`provportal x12 validate " + path + "` checks it in full");
    return true;
  }
  ++read_files;
  for (const auto& r : checks) {
    for (const auto& c : r.claims)
      remitted.push_back(
          {c.patient_control_number, c.payer_claim_control_number, r.trace.number, c.paid});
    const auto findings = x12::balance(r);
    // The check's content: what it pays, as posted.
    json::array content;
    content.push_back(check_record(r, true));
    remittance_line_records(r, [&content](json::object&& rec) {
      content.push_back(std::move(rec));
      return true;
    });
    for (const auto& p : r.provider_adjustments) content.push_back(plb_record(r, p));
    const std::string hash = sha256_hex(json::serialize(content));
    const std::string payer = payer_key(r);
    if (m_ledger) {
      const int seen = m_ledger->seen(payer, r.trace.number, hash);
      if (seen == 1) {
        ++skipped;
        continue;
      }
      if (seen == 2)
        m_ctx.notice("warning: " + path + ": check " + r.trace.number +
                     " was posted before with other content; written again, review it");
    }
    for (const auto& f : findings) m_ctx.notice(path + ": " + x12::to_string(f));
    if (!findings.empty()) {
      ++unbalanced;
      m_ctx.notice(path + ": check " + r.trace.number +
                   " does not balance: written, not recorded as posted (reported again next run)");
    } else if (m_ledger) {
      m_to_record.push_back({payer, r.trace.number, hash, name});
    }
    ++written;
    json::array page;
    if (m_opt.level == "check") {
      auto rec = check_record(r, findings.empty());
      rec.emplace("file", name);
      page.push_back(std::move(rec));
    } else if (m_opt.level == "claim") {
      for (const auto& c : r.claims) {
        auto rec = claim_record(r, c);
        rec.emplace("file", name);
        page.push_back(std::move(rec));
      }
    } else {
      remittance_line_records(r, [&page, &name](json::object&& rec) {
        rec.emplace("row_type", "service");
        rec.emplace("file", name);
        page.push_back(std::move(rec));
        return true;
      });
      for (const auto& c : r.claims) {
        if (c.lines.empty() || c.adjustments.empty()) continue;
        auto rec = claim_adjustment_record(r, c);
        rec.emplace("row_type", "claim_adjustment");
        rec.emplace("file", name);
        page.push_back(std::move(rec));
      }
      for (const auto& p : r.provider_adjustments) {
        auto rec = plb_record(r, p);
        rec.emplace("row_type", "provider_adjustment");
        rec.emplace("file", name);
        page.push_back(std::move(rec));
      }
    }
    if (!m_printer.page(page)) {
      m_closed = true;
      return false;
    }
  }
  return true;
}

Expected<void> Posting::finish() {
  m_printer.finish();
  if (m_closed || m_ctx.output_closed()) return fail(ErrorKind::output_closed, "stdout was closed");
  if (read_files == 0 && failed > 0) {
    return fail(ErrorKind::input,
                "no 835 could be read: " + std::to_string(failed) + " file(s) failed, above",
                "fix or replace those files and run again");
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
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      ++posting.failed;
      ctx.notice("error: cannot open " + path + "; check the path");
      continue;
    }
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!posting.post(path, fs::path(path).filename().string(), bytes, from_inbox)) break;
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
