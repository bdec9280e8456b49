// The x12-core wire in batch mode (x12_core.hpp; docs/core.md, "Batch mode").
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>
#include <variant>

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "portal/util/atomic_file.hpp"
#include "portal/util/clock.hpp"
#include "portal/wire/x12_core/x12_core.hpp"
#include "x12/transactions.hpp"
#include "x12/writer.hpp"

namespace portal::wire::x12_core {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_prefix = "core_";  // spooled interchanges: core_<PayloadID>.x12
constexpr int k_submit_attempts = 4;

std::string digits(const char* format, std::uint32_t n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, format, n);
  return buf;
}

// The PayloadID in a spooled interchange's name.
std::string payload_id_of(std::string_view file) {
  if (file.starts_with(k_prefix)) file.remove_prefix(k_prefix.size());
  if (file.ends_with(".x12")) file.remove_suffix(4);
  return std::string(file);
}

struct Kind {
  std::string_view functional_id, version;
};
Kind kind_of(Function f) {
  if (f == Function::eligibility) return {"HS", "005010X279A1"};
  return {"HR", "005010X212"};
}

std::string_view submission_type(Function f) {
  return f == Function::eligibility ? "X12_270_Request_005010X279A1" : "X12_276_Request_005010X212";
}
std::string_view results_type(Function f) {
  return f == Function::eligibility ? caqh::k_batch_results_271 : caqh::k_batch_results_277;
}

// The row's identifiers as a result's answer carries them (no PHI: the trace is a hash).
json::object identifiers(const x12w::SentSet& s) {
  return {{"x12_trn02", s.trace},
          {"x12_isa13", s.isa13},
          {"x12_gs06", s.gs06},
          {"x12_st02", s.st02},
          {"core_payload_id", payload_id_of(s.file)},
          {"sent_at", s.sent_at}};
}

Result pending(const x12w::SentSet& sent, std::string why) {
  Result r;
  r.outcome = "pending";
  r.code = "x12_pending";
  r.message = std::move(why);
  r.answer = identifiers(sent);
  return r;
}

Result not_sent(std::string outcome, std::string message, std::vector<FieldError> errors = {}) {
  Result r;
  r.outcome = std::move(outcome);
  r.message = std::move(message);
  r.errors = std::move(errors);
  return r;
}

std::optional<std::string> read_all(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return std::move(out).str();
}

// The CORE envelope of an answer (SOAP or MIME), or what is wrong with it.
Expected<caqh::Envelope> envelope_of(const http::Response& answer) {
  const std::string type = answer.header("content-type");
  caqh::Parsed parsed = type.find("multipart/") != std::string::npos
                            ? caqh::from_mime(type, answer.body)
                            : caqh::from_soap(answer.body);
  if (parsed.fault) {
    return fail(ErrorKind::refused, "the CORE endpoint answered with a SOAP fault (" +
                                        parsed.fault->code + "): " + parsed.fault->reason);
  }
  if (!parsed.envelope) {
    if (answer.status == 401 && parsed.incomplete)
      return fail(ErrorKind::auth, "the CORE endpoint refused the credentials (UnAuthorized)",
                  "check the profile's email and password_file or password_command");
    return fail(ErrorKind::unavailable, "the CORE endpoint's answer (HTTP " +
                                            std::to_string(answer.status) +
                                            ") cannot be read: " + parsed.problem);
  }
  if (parsed.envelope->error_code == "UnAuthorized") {
    return fail(ErrorKind::auth,
                "the CORE endpoint refused the credentials: " + parsed.envelope->error_message,
                "check the profile's email and password_file or password_command");
  }
  return std::move(*parsed.envelope);
}

}  // namespace

http::Request X12Core::batch_request(caqh::Message message, std::string_view payload_type,
                                     const std::string& payload_id, std::string payload) const {
  caqh::Envelope env;
  env.message = message;
  env.payload_type = std::string(payload_type);
  env.processing_mode = "Batch";
  env.payload_id = payload_id;
  env.timestamp = format_iso8601(
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()));
  env.sender_id = m_settings.sender_id;
  env.receiver_id = m_parties.receiver_id;
  if (message == caqh::Message::batch_submission) {
    env.payload_length = static_cast<long long>(payload.size());
    env.checksum = caqh::checksum(payload);
    // The receiver of the interchange itself (a payer's own when the payers file names one).
    if (payload.size() >= 106) {
      std::string isa08 = payload.substr(54, 15);
      while (!isa08.empty() && isa08.back() == ' ') isa08.pop_back();
      if (!isa08.empty()) env.receiver_id = isa08;
    }
  }
  env.payload = std::move(payload);
  const auto creds = credentials();
  http::Request req;
  req.method = "POST";
  req.target = m_url_path;
  req.audit = {{"core_payload_id", payload_id},
               {"core_operation", std::string(caqh::soap_action(message))}};
  if (m_mime) {
    const std::string boundary = caqh::new_boundary();
    req.body = caqh::to_mime(env, boundary, creds ? &*creds : nullptr);
    req.headers = {{"Content-Type", caqh::mime_content_type(boundary)}, {"Accept", "*/*"}};
  } else {
    req.body = caqh::to_soap(env, creds ? &*creds : nullptr);
    req.headers = {{"Content-Type", caqh::soap_content_type(message)},
                   {"Accept", "application/soap+xml, text/xml"}};
  }
  return req;
}

Expected<void> X12Core::open_spool() const {
  const fs::path x12_dir = m_settings.state_dir / "x12";
  m_spool = x12_dir / "core-spool";
  m_answers = x12_dir / "core-answers";
  std::error_code ec;
  for (const auto& dir : {m_spool, m_answers}) {
    fs::create_directories(dir, ec);
    // They hold PHI: the inquiries and their answers.
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (!fs::is_directory(dir)) {
      return fail(ErrorKind::usage,
                  "the x12-core batch directory " + dir.string() + " cannot be made",
                  "check that " + x12_dir.string() + " can be written");
    }
  }
  auto ledger = x12w::Ledger::open(x12_dir / "core-ledger.db");
  if (!ledger) return fail(ledger.error());
  m_ledger = std::move(*ledger);
  // A run killed while it spooled an interchange left it to be kept, or to be forgotten; one
  // killed before (or while) it submitted left it in the spool: it goes now, under its PayloadID.
  if (auto r = m_ledger->recover(m_settings.sender_id, m_spool, k_prefix); !r) return r;
  return submit_spooled();
}

Expected<X12Core::Chunk> X12Core::start_chunk(Function f, const std::string& receiver) const {
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
  c.payload_id = caqh::new_payload_id();
  c.file = std::string(k_prefix) + c.payload_id + ".x12";
  ::x12::InterchangeHeader h;
  h.sender_id = m_parties.sender_id;
  h.receiver_id = receiver;
  h.usage = m_parties.usage;
  h.time = now;
  const Kind k = kind_of(f);
  ::x12::Writer w;
  w.begin_interchange(h, c.isa13);
  w.begin_group(k.functional_id, m_parties.sender_id, receiver, k.version, c.gs06);
  if (!w.status()) {
    return fail(ErrorKind::usage,
                "the batch interchange's envelope cannot be written: " +
                    ::x12::to_string(w.status().error()),
                "check the profile's sender_id and receiver_id");
  }
  c.header = std::move(w.out());
  return c;
}

tl::expected<x12w::SentSet, Result> X12Core::stage(Function f, const json::object& record,
                                                   const std::string& trace) const {
  using Inquiry = std::variant<::x12::EligibilityInquiry, ::x12::ClaimInquiry>;
  std::optional<Inquiry> q;
  std::vector<FieldError> problems;
  if (f == Function::eligibility) {
    auto e = x12w::eligibility_inquiry(record, *m_payers, m_parties, trace);
    if (e)
      q = std::move(*e);
    else
      problems = std::move(e.error());
  } else {
    auto c = x12w::claim_inquiry(record, *m_payers, m_parties, trace);
    if (c)
      q = std::move(*c);
    else
      problems = std::move(c.error());
  }
  if (!q)
    return tl::unexpected(not_sent("invalid", "the record cannot be an X12 inquiry", problems));
  std::string receiver = m_parties.receiver_id;
  if (const auto* v = record.if_contains("health_plan"); v && v->is_string()) {
    if (const auto* payer = m_payers->of_plan(v->get_string());
        payer && !payer->receiver_id.empty())
      receiver = payer->receiver_id;
  }
  auto it = m_chunks.find({f, receiver});
  if (it == m_chunks.end()) {
    auto started = start_chunk(f, receiver);
    if (!started) return tl::unexpected(not_sent("failed", started.error().message));
    it = m_chunks.emplace(std::pair{f, receiver}, std::move(*started)).first;
  }
  Chunk& chunk = it->second;
  // The set is written alone under the chunk's envelope, so a record X12 cannot carry leaves the
  // chunk as it was; its bytes after the GS are the set.
  const std::uint32_t st02 = chunk.sets + 1;
  ::x12::Writer w;
  ::x12::InterchangeHeader h;
  h.sender_id = m_parties.sender_id;
  h.receiver_id = receiver;
  h.usage = m_parties.usage;
  const Kind k = kind_of(f);
  w.begin_interchange(h, chunk.isa13);
  w.begin_group(k.functional_id, m_parties.sender_id, receiver, k.version, chunk.gs06);
  const std::size_t start = w.out().size();
  if (const auto* e = std::get_if<::x12::EligibilityInquiry>(&*q))
    ::x12::write_270(w, st02, *e);
  else
    ::x12::write_276(w, st02, std::get<::x12::ClaimInquiry>(*q));
  if (!w.status()) {
    return tl::unexpected(not_sent(
        "invalid", "the X12 request cannot be written: " + ::x12::to_string(w.status().error())));
  }
  chunk.body.append(w.out(), start);
  ++chunk.sets;
  x12w::SentSet sent{trace,
                     chunk.file,
                     digits("%09u", chunk.isa13),
                     digits("%u", chunk.gs06),
                     digits("%04u", st02),
                     chunk.sent_at};
  chunk.sent.push_back(sent);
  m_gathered[trace] = sent;
  if (chunk.sets >= m_options.sets_per_interchange) {
    Chunk full = std::move(chunk);
    m_chunks.erase(it);
    if (auto spooled = spool(full); !spooled)
      return tl::unexpected(not_sent("failed", spooled.error().message));
  }
  return sent;
}

Expected<void> X12Core::spool(Chunk& chunk) const {
  if (chunk.sets == 0) return {};
  const std::string bytes = chunk.header + chunk.body + "GE*" + std::to_string(chunk.sets) + "*" +
                            digits("%u", chunk.gs06) + "~IEA*1*" + digits("%09u", chunk.isa13) +
                            "~";
  auto written = m_ledger->publish(m_spool, m_settings.sender_id, chunk.file, bytes, chunk.sent);
  for (const auto& s : chunk.sent) m_gathered.erase(s.trace);
  if (!written) {
    if (!m_spool_error) m_spool_error = written.error();
    return written;
  }
  return {};
}

Expected<void> X12Core::submit_spooled() const {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(m_spool, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file(ec) && name.starts_with(k_prefix) && name.ends_with(".x12"))
      files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) return {};
  if (!m_settings.connect)
    return fail(ErrorKind::internal, "the x12-core wire has no connection to submit batches on");
  auto client = m_settings.connect();
  if (!client) return fail(client.error());
  for (const auto& file : files) {
    auto bytes = read_all(file);
    if (!bytes) return fail(ErrorKind::unavailable, "cannot read " + file.string());
    // A 276 interchange's group is HR; anything else here is a 270's (HS).
    const char sep = bytes->size() > 3 ? (*bytes)[3] : '*';
    const Function f = bytes->find(std::string("GS") + sep + "HR" + sep) != std::string::npos
                           ? Function::claim_inquiry
                           : Function::eligibility;
    const std::string pid = payload_id_of(file.filename().string());
    const http::Request req =
        batch_request(caqh::Message::batch_submission, submission_type(f), pid, *bytes);
    std::string problem;
    std::optional<caqh::Envelope> taken;
    for (int attempt = 1; attempt <= k_submit_attempts && !taken; ++attempt) {
      auto answer = (*client)->send(req);
      if (answer && answer->status != 429 && answer->status < 500) {
        auto env = envelope_of(*answer);
        if (!env) return fail(env.error());
        if (env->error_code != "Success") {
          return fail(ErrorKind::refused,
                      "the CORE endpoint refused batch submission " + pid + " (" + env->error_code +
                          ": " + env->error_message + ")",
                      "its rows stay pending and " + file.string() +
                          " stays in the spool; fix the cause and run the same command with "
                          "--resume");
        }
        taken = std::move(*env);
        break;
      }
      problem = answer ? "HTTP " + std::to_string(answer->status) : answer.error().message;
      if (attempt < k_submit_attempts) std::this_thread::sleep_for(std::chrono::seconds(attempt));
    }
    if (!taken) {
      return fail(ErrorKind::unavailable,
                  "the CORE endpoint did not take batch submission " + pid + ": " + problem,
                  "its rows stay pending; the same command with --resume submits it again "
                  "(under the same PayloadID)");
    }
    // Taken: only now does it leave the spool (a kill before this sends it again, and the
    // endpoint answers the same PayloadID and payload as before).
    fs::remove(file, ec);
    spdlog::info("submitted batch {} ({} bytes)", pid, bytes->size());
  }
  return {};
}

Expected<void> X12Core::flush() const {
  std::lock_guard lock(m_mutex);
  for (auto& [key, chunk] : m_chunks) (void)spool(chunk);
  m_chunks.clear();
  if (m_spool_error) return tl::unexpected(*m_spool_error);
  return submit_spooled();
}

void X12Core::retrieve(Function f, const std::string& pid, Exchange& ex, Retrieved& into) const {
  const fs::path dir = m_answers / pid;
  std::error_code ec;
  fs::create_directories(dir, ec);
  WriteOptions w;
  w.mode = 0600;
  w.exact_mode = true;
  auto ask = [&](caqh::Message m, std::string_view type) -> std::optional<caqh::Envelope> {
    auto answer = ex.send(batch_request(m, type, pid));
    if (!answer) {
      into.problem = ex.unanswered().message;
      return std::nullopt;
    }
    auto env = envelope_of(*answer);
    if (!env) {
      into.problem = env.error().message;
      return std::nullopt;
    }
    return std::move(*env);
  };
  if (!fs::exists(dir / "results.x12", ec)) {
    if (!fs::exists(dir / "ack.x12", ec)) {
      auto ack = ask(caqh::Message::batch_ack_request, caqh::k_batch_ack_retrieval);
      if (!ack) return;
      if (ack->error_code != "Success") {
        into.problem = "the CORE endpoint refused the acknowledgement retrieval of " + pid + " (" +
                       ack->error_code + ": " + ack->error_message + ")";
        return;
      }
      if (auto r = write_file_atomically(dir / "ack.x12", ack->payload, w); !r) {
        into.problem = r.error().message;
        return;
      }
    }
    auto results = ask(caqh::Message::batch_results_request, results_type(f));
    if (!results) return;
    if (results->error_code == "Success") {
      if (auto r = write_file_atomically(dir / "results.x12", results->payload, w); !r) {
        into.problem = r.error().message;
        return;
      }
      // Receipt confirmed; the results are kept here, so a confirmation lost is harmless.
      auto confirmed = ask(caqh::Message::batch_results_ack, caqh::k_batch_ack_submission);
      if (!confirmed || confirmed->error_code != "Success")
        spdlog::warn("the receipt of the results of batch {} could not be confirmed", pid);
      into.problem.clear();
    } else if (results->error_code != "ResultsNotReady") {
      into.problem = "the CORE endpoint refused the results retrieval of " + pid + " (" +
                     results->error_code + ": " + results->error_message + ")";
      return;
    } else {
      spdlog::info("batch {}: {}", pid, results->error_message);
    }
  }
  into.results = fs::exists(dir / "results.x12", ec);
  into.answers = x12w::Inbox::scan(dir, m_settings.sender_id);
}

Result X12Core::collect(Function f, const x12w::SentSet& sent, Exchange& ex) const {
  const std::string pid = payload_id_of(sent.file);
  std::lock_guard lock(m_mutex);
  std::error_code ec;
  if (fs::exists(m_spool / sent.file, ec)) {
    return pending(sent, "spooled as batch " + pid +
                             " and not submitted yet; the same command with --resume submits it");
  }
  Retrieved& r = m_retrieved[pid];
  if (!r.answers && r.problem.empty()) retrieve(f, pid, ex, r);
  if (!r.answers) {
    Result out =
        not_sent("failed", "the answers of batch " + pid + " cannot be retrieved: " + r.problem);
    out.answer = identifiers(sent);
    return out;
  }
  // The real-time wire reads an answer without the row (what the answer says is the result).
  auto read = x12w::answer_in_inbox(f, *r.answers, sent, json::object(), *m_payers);
  if (!read.result) {
    if (r.results) {
      Result out = not_sent("failed", "the results of batch " + pid +
                                          " hold no answer to this row's inquiry (TRN02 " +
                                          sent.trace + ")");
      out.code = "x12_unanswered";
      out.answer = identifiers(sent);
      return out;
    }
    return pending(sent, "submitted as batch " + pid +
                             (read.acknowledged ? " and accepted (999)" : "") +
                             "; its results are not ready yet: run the same command with "
                             "--resume later");
  }
  if (read.by_acknowledgement) read.result->answer = identifiers(sent);
  return std::move(*read.result);
}

Result X12Core::batch_exchange(Function f, Exchange& ex) const {
  if (auto loaded = load(); !loaded) return not_sent("failed", loaded.error().message);
  const std::string trace = x12w::trace_of(ex.key());
  std::optional<x12w::SentSet> earlier, now;
  {
    std::lock_guard lock(m_mutex);
    if (!m_spool_opened) {
      m_spool_opened = true;
      if (auto opened = open_spool(); !opened) m_spool_error = opened.error();
    }
    if (auto it = m_gathered.find(trace); it != m_gathered.end()) {
      now = it->second;
    } else if (auto found = m_ledger ? m_ledger->find(m_settings.sender_id, trace) : std::nullopt) {
      earlier = std::move(found);
    } else if (m_spool_error) {
      return not_sent("failed", m_spool_error->message);
    } else {
      auto staged = stage(f, ex.record(), trace);
      if (!staged) return staged.error();
      now = std::move(*staged);
    }
  }
  if (earlier) return collect(f, *earlier, ex);
  if (auto finished = ex.at_run_end(this, [this] { return flush(); }); !finished)
    return not_sent("failed", finished.error().message);
  return pending(*now, "gathered into batch " + payload_id_of(now->file) +
                           ", submitted when the run ends; the same command with --resume "
                           "retrieves its answer");
}

}  // namespace portal::wire::x12_core
