#include "portal/wire/x12_files/x12_files.hpp"

#include <unistd.h>

#include <cstdio>
#include <variant>

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "portal/util/clock.hpp"
#include "portal/wire/x12/controls.hpp"
#include "x12/reader.hpp"
#include "x12/transactions.hpp"
#include "x12/writer.hpp"

namespace portal::wire::x12_files {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

// What a function's inquiries are in X12: the group's GS01 and GS08, the set's ST01.
struct Kind {
  std::string_view functional_id, version, set_id;
};
Kind kind_of(Function f) {
  if (f == Function::eligibility) return {"HS", "005010X279A1", "270"};
  return {"HR", "005010X212", "276"};
}

// `s` with what an SFTP pickup may refuse in a file name made '-': only [A-Za-z0-9._-], and no
// leading dot (a hidden file is one the pickup skips).
std::string file_safe(std::string_view s) {
  std::string out;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    out.push_back(ok ? c : '-');
  }
  if (!out.empty() && out.front() == '.') out.front() = '-';
  return out;
}

std::string digits(const char* format, std::uint32_t n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, format, n);
  return buf;
}

// YYYYMMDDHHMMSS of `t` (UTC).
std::string stamp(std::chrono::sys_seconds t) {
  std::string iso = format_iso8601(t);  // 2026-11-17T15:00:00Z
  std::string out;
  for (char c : iso.substr(0, 19))
    if (c >= '0' && c <= '9') out.push_back(c);
  return out;
}

std::string text_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// The row's identifiers in X12 as a result's answer carries them (no PHI: the trace is a hash).
json::object identifiers(const SentSet& sent, const json::object& record) {
  json::object a{{"x12_trn02", sent.trace}, {"x12_isa13", sent.isa13},  {"x12_gs06", sent.gs06},
                 {"x12_st02", sent.st02},   {"outbox_file", sent.file}, {"sent_at", sent.sent_at}};
  if (auto ref = text_of(record, "ref"); !ref.empty()) a["ref"] = ref;
  return a;
}

Result pending(const SentSet& sent, const json::object& record, std::string why) {
  Result r;
  r.outcome = "pending";
  r.code = "x12_pending";
  r.message = std::move(why);
  r.answer = identifiers(sent, record);
  return r;
}

Result not_sent(std::string outcome, std::string message, std::vector<FieldError> errors = {}) {
  Result r;
  r.outcome = std::move(outcome);
  r.message = std::move(message);
  r.errors = std::move(errors);
  return r;
}

// The inquiry of `record` (field problems when X12 cannot carry it).
using Inquiry = std::variant<x12::EligibilityInquiry, x12::ClaimInquiry>;
x12w::Checked<Inquiry> inquiry_of(Function f, const json::object& record,
                                  const x12w::Payers& payers, const x12w::Parties& parties,
                                  std::string_view trace) {
  if (f == Function::eligibility) {
    auto q = x12w::eligibility_inquiry(record, payers, parties, trace);
    if (!q) return tl::unexpected(std::move(q.error()));
    return Inquiry(std::move(*q));
  }
  auto q = x12w::claim_inquiry(record, payers, parties, trace);
  if (!q) return tl::unexpected(std::move(q.error()));
  return Inquiry(std::move(*q));
}

}  // namespace

X12Files::X12Files(Settings settings) : X12Files(std::move(settings), Options()) {}

X12Files::X12Files(Settings settings, Options options)
    : m_settings(std::move(settings)), m_options(options) {
  m_parties.sender_id = m_settings.sender_id;
  m_parties.receiver_id = m_settings.receiver_id;
  m_parties.usage = m_settings.usage_indicator == "P" ? 'P' : 'T';
  if (m_options.sets_per_file == 0) m_options.sets_per_file = 1;
}

std::string_view X12Files::name() const { return "x12-files"; }

bool X12Files::carries(Function f) const {
  return f == Function::eligibility || f == Function::claim_inquiry;
}

Expected<void> X12Files::load() const {
  std::lock_guard lock(m_mutex);
  if (!m_loaded) {
    m_loaded = true;
    if (auto opened = open_state(); !opened) m_load_error = opened.error();
  }
  if (m_load_error) return tl::unexpected(*m_load_error);
  return {};
}

Expected<void> X12Files::open_state() const {
  struct Needed {
    const std::string& value;
    std::size_t max;
    const char* key;
    const char* what;
    const char* example;
  };
  const Needed needed[] = {
      {m_settings.sender_id, 15, "sender_id", "ISA06: your submitter ID at the clearinghouse",
       "YOUR_SUBMITTER_ID"},
      {m_settings.receiver_id, 15, "receiver_id", "ISA08: the clearinghouse's ID",
       "THE_CLEARINGHOUSES_ID"},
      {m_settings.payers_file, 4096, "payers_file", "health plans to payer IDs",
       "examples/payers.yaml"},
      {m_settings.outbox, 4096, "outbox", "the directory your SFTP client uploads from",
       "/srv/drop/outbox"},
      {m_settings.inbox, 4096, "inbox", "the directory the clearinghouse's answers are synced to",
       "/srv/drop/inbox"},
  };
  for (const auto& n : needed) {
    if (n.value.empty() || n.value.size() > n.max) {
      return fail(
          ErrorKind::usage,
          "the x12-files wire needs the profile's " + std::string(n.key) + " (" + n.what + ")",
          "provportal config set " + std::string(n.key) + " " + n.example);
    }
  }
  std::error_code ec;
  m_outbox = fs::absolute(m_settings.outbox, ec).lexically_normal();
  m_inbox = fs::absolute(m_settings.inbox, ec).lexically_normal();
  // (Made, when missing, by the first row that goes: a --dry-run changes nothing in the drop.)
  if (fs::exists(m_outbox, ec) && ::access(m_outbox.c_str(), W_OK) != 0) {
    return fail(ErrorKind::usage, "the outbox " + m_outbox.string() + " cannot be written",
                "give the profile an outbox this user may write (provportal config set outbox "
                "DIR)");
  }
  auto payers = x12w::Payers::load(m_settings.payers_file);
  if (!payers) return fail(payers.error());
  m_payers = std::move(*payers);
  const fs::path x12_dir = m_settings.state_dir / "x12";
  auto store = x12w::open_control_numbers(m_settings.state_dir, m_settings.sender_id);
  if (!store) return fail(store.error());
  m_controls.emplace(std::move(*store));
  auto ledger = Ledger::open(x12_dir / "files-ledger.db");
  if (!ledger) return fail(ledger.error());
  m_ledger = std::move(*ledger);
  return {};
}

Expected<void> X12Files::open_drop() const {
  std::error_code ec;
  for (const auto& dir : {m_outbox, m_inbox}) {
    fs::create_directories(dir, ec);
    if (!fs::is_directory(dir, ec)) {
      return fail(ErrorKind::usage, "the x12-files directory " + dir.string() + " cannot be made",
                  "check the profile's outbox and inbox");
    }
  }
  // A run killed while it wrote an outbox file left it to be published, or to be forgotten.
  return m_ledger->recover(m_settings.sender_id, m_outbox, file_safe(m_settings.sender_id) + "_");
}

Expected<void> X12Files::ready(Function f) const {
  if (!carries(f)) return fail(not_carried(*this, function_name(f)));
  return load();
}

std::vector<FieldError> X12Files::check(Function f, const json::object& record) const {
  if (!load()) return {};  // ready() reported it
  auto q = inquiry_of(f, record, *m_payers, m_parties, x12w::trace_of("check"));
  return q ? std::vector<FieldError>{} : q.error();
}

bool X12Files::one_request(Function) const { return false; }

http::Request X12Files::request(Function, const json::object&, const Inputs&,
                                std::string_view) const {
  return {};
}

Result X12Files::result(Function, const http::Response&, json::storage_ptr) const {
  return not_sent("failed", "the x12-files wire sends no requests");
}

bool X12Files::answer_verbatim(Function) const { return false; }

Expected<X12Files::Chunk> X12Files::start_chunk(Function f, const std::string& receiver) const {
  auto block = m_controls->reserve(1, 1, 0);
  if (!block) {
    return fail(ErrorKind::unavailable,
                "cannot reserve X12 control numbers: " + ::x12::to_string(block.error()));
  }
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  Chunk c;
  c.isa13 = block->interchange;
  c.gs06 = block->group;
  c.sent_at = format_iso8601(now);
  c.name =
      file_safe(m_settings.sender_id) + "_" + digits("%09u", c.isa13) + "_" + stamp(now) + ".x12";
  x12::InterchangeHeader h;
  h.sender_id = m_parties.sender_id;
  h.receiver_id = receiver;
  h.usage = m_parties.usage;
  h.time = now;
  const Kind k = kind_of(f);
  x12::Writer w;
  w.begin_interchange(h, c.isa13);
  w.begin_group(k.functional_id, m_parties.sender_id, receiver, k.version, c.gs06);
  if (!w.status()) {
    return fail(
        ErrorKind::usage,
        "the outbox file's envelope cannot be written: " + x12::to_string(w.status().error()),
        "check the profile's sender_id and receiver_id");
  }
  c.header = std::move(w.out());
  return c;
}

tl::expected<SentSet, Result> X12Files::stage(Function f, const json::object& record,
                                              const std::string& trace) const {
  auto q = inquiry_of(f, record, *m_payers, m_parties, trace);
  if (!q) {
    return tl::unexpected(not_sent("invalid", "the record cannot be an X12 inquiry", q.error()));
  }
  std::string receiver = m_parties.receiver_id;
  if (const auto* payer = m_payers->of_plan(text_of(record, "health_plan"));
      payer && !payer->receiver_id.empty()) {
    receiver = payer->receiver_id;
  }
  auto it = m_chunks.find({f, receiver});
  if (it == m_chunks.end()) {
    auto started = start_chunk(f, receiver);
    if (!started) return tl::unexpected(not_sent("failed", started.error().message));
    it = m_chunks.emplace(std::pair{f, receiver}, std::move(*started)).first;
  }
  Chunk& chunk = it->second;
  // The set is written alone under the chunk's envelope, so a record X12 cannot carry leaves
  // the chunk as it was; its bytes after the GS are the set.
  const std::uint32_t st02 = chunk.sets + 1;
  x12::Writer w;
  x12::InterchangeHeader h;
  h.sender_id = m_parties.sender_id;
  h.receiver_id = receiver;
  h.usage = m_parties.usage;
  const Kind k = kind_of(f);
  w.begin_interchange(h, chunk.isa13);
  w.begin_group(k.functional_id, m_parties.sender_id, receiver, k.version, chunk.gs06);
  const std::size_t start = w.out().size();
  if (const auto* e = std::get_if<x12::EligibilityInquiry>(&*q)) {
    x12::write_270(w, st02, *e);
  } else {
    x12::write_276(w, st02, std::get<x12::ClaimInquiry>(*q));
  }
  if (!w.status()) {
    return tl::unexpected(not_sent(
        "invalid", "the X12 request cannot be written: " + x12::to_string(w.status().error())));
  }
  chunk.body.append(w.out(), start);
  ++chunk.sets;
  SentSet sent{trace,
               chunk.name,
               digits("%09u", chunk.isa13),
               digits("%u", chunk.gs06),
               digits("%04u", st02),
               chunk.sent_at};
  chunk.sent.push_back(sent);
  m_gathered[trace] = sent;
  if (chunk.sets >= m_options.sets_per_file) {
    Chunk full = std::move(chunk);
    m_chunks.erase(it);
    if (auto written = publish(full); !written) {
      return tl::unexpected(not_sent("failed", written.error().message));
    }
  }
  return sent;
}

Expected<void> X12Files::publish(Chunk& chunk) const {
  if (chunk.sets == 0) return {};
  std::string bytes = chunk.header + chunk.body + "GE*" + std::to_string(chunk.sets) + "*" +
                      digits("%u", chunk.gs06) + "~IEA*1*" + digits("%09u", chunk.isa13) + "~";
  auto written = m_ledger->publish(m_outbox, m_settings.sender_id, chunk.name, bytes, chunk.sent);
  for (const auto& s : chunk.sent) m_gathered.erase(s.trace);
  if (!written) {
    if (!m_write_error) m_write_error = written.error();
    return written;
  }
  spdlog::info("wrote {} ({} inquir{})", (m_outbox / chunk.name).string(), chunk.sets,
               chunk.sets == 1 ? "y" : "ies");
  return {};
}

Expected<void> X12Files::flush() const {
  std::lock_guard lock(m_mutex);
  for (auto& [key, chunk] : m_chunks) (void)publish(chunk);
  m_chunks.clear();
  if (m_write_error) return tl::unexpected(*m_write_error);
  return {};
}

const Inbox& X12Files::inbox() const {
  std::lock_guard lock(m_mutex);
  if (!m_inbox_index) {
    m_inbox_index = Inbox::scan(m_inbox, m_settings.sender_id);
    for (const auto& p : m_inbox_index->problems()) spdlog::warn("inbox: {}", p);
  }
  return *m_inbox_index;
}

Result X12Files::collect(Function f, const SentSet& sent, const json::object& record) const {
  auto read = x12w::answer_in_inbox(f, inbox(), sent, record, *m_payers);
  if (!read.result) {
    return pending(sent, record,
                   "sent in " + sent.file + (read.acknowledged ? " and accepted (999)" : "") +
                       "; its answer is not in the inbox yet");
  }
  if (read.by_acknowledgement) read.result->answer = identifiers(sent, record);
  return std::move(*read.result);
}

Result X12Files::exchange(Function f, Exchange& ex, const Inputs&) const {
  if (auto loaded = load(); !loaded) return not_sent("failed", loaded.error().message);
  const std::string trace = x12w::trace_of(ex.key());
  std::optional<SentSet> earlier;  // in the ledger: handed over by an earlier run
  std::optional<SentSet> now;      // gathered in this run's outbox file
  {
    std::lock_guard lock(m_mutex);
    if (!m_drop_opened) {
      m_drop_opened = true;
      if (auto opened = open_drop(); !opened) m_write_error = opened.error();
    }
    if (auto it = m_gathered.find(trace); it != m_gathered.end()) {
      now = it->second;
    } else if (auto found = m_ledger->find(m_settings.sender_id, trace)) {
      earlier = std::move(found);
    } else if (m_write_error) {
      return not_sent("failed", m_write_error->message);
    } else {
      auto staged = stage(f, ex.record(), trace);
      if (!staged) return staged.error();
      now = std::move(*staged);
    }
  }
  if (earlier) return collect(f, *earlier, ex.record());
  // The file is written when the run ends (or when it is full): the engine calls flush().
  if (auto finished = ex.at_run_end(this, [this] { return flush(); }); !finished)
    return not_sent("failed", finished.error().message);
  return pending(*now, ex.record(),
                 "handed over in " + now->file +
                     "; the same command reads its answer from the inbox once it is in "
                     "(--resume for a batch)");
}

bool X12Files::carries(Feed) const { return false; }

http::Request X12Files::page_request(Feed, const PageQuery&) const { return {}; }

Expected<Page> X12Files::read_page(Feed f, const http::Response&) const {
  return fail(not_carried(*this, feed_name(f)));
}

http::Request X12Files::letter_request(std::string_view) const { return {}; }

std::optional<http::Request> X12Files::limits_request() const { return std::nullopt; }

Expected<api::PortalLimits> X12Files::read_limits(const http::Response&) const {
  return fail(ErrorKind::unavailable, "the x12-files wire has no limits to read");
}

}  // namespace portal::wire::x12_files
