#include "portal/wire/x12/inbox.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "portal/wire/x12/vocabulary.hpp"
#include "x12/reader.hpp"
#include "x12/transactions.hpp"

namespace portal::wire::x12w {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

std::string trimmed(std::string_view s) {
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return std::string(s);
}

// Whether a file of the inbox is one to read (see Inbox::scan).
bool readable_name(const std::string& name) {
  if (name.empty() || name.front() == '.') return false;
  for (std::string_view unfinished : {".part", ".partial", ".tmp"})
    if (name.ends_with(unfinished)) return false;
  return true;
}

// Bytes [begin, end) of the file at `fd`, appended to `out`.
bool read_range(int fd, std::uint64_t begin, std::uint64_t end, std::string& out) {
  const std::size_t at = out.size();
  out.resize(at + (end - begin));
  std::size_t done = 0;
  while (done < end - begin) {
    const ssize_t n =
        ::pread(fd, out.data() + at + done, end - begin - done, static_cast<off_t>(begin + done));
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

std::uint64_t end_of(const x12::Segment& s) { return s.offset() + s.text().size() + 1; }

}  // namespace

std::string control_key(std::string_view number) {
  while (number.size() > 1 && number.front() == '0') number.remove_prefix(1);
  return std::string(number);
}

Inbox Inbox::scan(const fs::path& dir, std::string_view receiver) {
  Inbox inbox;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file(ec) || !readable_name(entry.path().filename().string())) continue;
    inbox.m_files.push_back(entry.path());
  }
  // In name order, so a later answer to the same control number (a clearinghouse's resend) wins.
  std::sort(inbox.m_files.begin(), inbox.m_files.end());
  for (std::uint32_t i = 0; i < inbox.m_files.size(); ++i) inbox.scan_file(i, receiver);
  return inbox;
}

void Inbox::scan_file(std::uint32_t index, std::string_view receiver) {
  const fs::path& path = m_files[index];
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    m_problems.push_back(path.string() + ": cannot be opened");
    return;
  }
  x12::Reader reader(fd);
  // The interchange being read, and whether it is addressed to us.
  Place at;
  bool ours = false, acknowledgements = false, in_set = false;
  std::string set_id;
  std::vector<std::string> traces;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ack_ranges;  // interchanges with TA1/999
  std::size_t segments = 0;
  while (const x12::Segment* s = reader.next()) {
    ++segments;
    const std::string_view id = s->id();
    if (id == "ISA") {
      at = Place{};
      at.file = index;
      at.isa = s->offset();
      at.isa_end = end_of(*s);
      at.isa13 = std::string(s->element(13));
      at.element = s->delimiters().element;
      at.terminator = s->delimiters().segment;
      ours = trimmed(s->element(8)) == receiver;
      acknowledgements = false;
    } else if (!ours) {
      continue;
    } else if (id == "TA1") {
      acknowledgements = true;
    } else if (id == "GS") {
      at.gs = s->offset();
      at.gs_end = end_of(*s);
      at.gs06 = std::string(s->element(6));
      if (s->element(1) == "FA") acknowledgements = true;
    } else if (id == "ST") {
      set_id = std::string(s->element(1));
      in_set = set_id == "271" || set_id == "277";
      at.st = s->offset();
      traces.clear();
    } else if (id == "TRN" && in_set) {
      traces.emplace_back(s->element(2));
    } else if (id == "SE" && in_set) {
      at.se_end = end_of(*s);
      // A 277 repeats its TRN*2 in every claim it answers: the set is indexed once per trace.
      std::sort(traces.begin(), traces.end());
      traces.erase(std::unique(traces.begin(), traces.end()), traces.end());
      for (const auto& t : traces) m_answers[t].push_back(at);
      in_set = false;
    } else if (id == "IEA" && acknowledgements) {
      ack_ranges.emplace_back(at.isa, end_of(*s));
    }
  }
  if (reader.error()) {
    if (segments == 0) {
      spdlog::debug("{} is not X12: passed over", path.string());
    } else {
      m_problems.push_back(path.string() + ": " + x12::to_string(*reader.error()));
    }
  }
  for (const auto& [begin, end] : ack_ranges) {
    std::string bytes;
    if (!read_range(fd, begin, end, bytes)) continue;
    auto acks = x12::read_acknowledgements(bytes);
    for (auto& t : acks.ta1s) m_ta1s[control_key(t.control_number)] = std::move(t);
    for (auto& g : acks.groups) m_groups[control_key(g.control_number)] = std::move(g);
  }
  ::close(fd);
}

const x12::Ta1* Inbox::ta1(std::string_view isa13) const {
  auto it = m_ta1s.find(control_key(isa13));
  return it == m_ta1s.end() ? nullptr : &it->second;
}

const x12::GroupAck* Inbox::group(std::string_view gs06) const {
  auto it = m_groups.find(control_key(gs06));
  return it == m_groups.end() ? nullptr : &it->second;
}

std::vector<std::string> Inbox::answers(std::string_view trace) const {
  std::vector<std::string> out;
  auto it = m_answers.find(std::string(trace));
  if (it == m_answers.end()) return out;
  for (const Place& p : it->second) {
    int fd = ::open(m_files[p.file].c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    std::string text;
    const bool read = read_range(fd, p.isa, p.isa_end, text) &&
                      read_range(fd, p.gs, p.gs_end, text) && read_range(fd, p.st, p.se_end, text);
    ::close(fd);
    if (!read) continue;
    const char e = p.element, t = p.terminator;
    text += std::string("GE") + e + "1" + e + p.gs06 + t + "IEA" + e + "1" + e + p.isa13 + t;
    out.push_back(std::move(text));
  }
  return out;
}

InboxReading answer_in_inbox(Function f, const Inbox& in, const SentSet& sent,
                             const json::object& record, const Payers& payers) {
  InboxReading out;
  x12::Acknowledgements acks;
  if (const auto* t = in.ta1(sent.isa13)) acks.ta1s.push_back(*t);
  if (const auto* g = in.group(sent.gs06)) {
    x12::GroupAck mine = *g;
    mine.sets.clear();
    for (const auto& s : g->sets)
      if (control_key(s.control_number) == control_key(sent.st02)) mine.sets.push_back(s);
    out.acknowledged = !mine.sets.empty() || g->status == 'R';
    if (out.acknowledged) acks.groups.push_back(std::move(mine));
  }
  if (auto rejected = acknowledgement_result(acks)) {
    out.result = std::move(*rejected);
    out.by_acknowledgement = true;
    return out;
  }
  const auto texts = in.answers(sent.trace);
  if (texts.empty()) return out;
  auto unreadable = [&](std::string why) {
    Result r;
    r.outcome = "failed";
    r.message = "the answer to " + sent.file + " ST02 " + sent.st02 + " cannot be read: " + why;
    r.code = "x12_unreadable";
    out.result = std::move(r);
    return out;
  };
  if (f == Function::eligibility) {
    std::optional<x12::EligibilityResponse> got;
    for (const auto& text : texts) {
      auto reader = x12::Reader::from_memory(text);
      x12::read_271(reader, [&](x12::EligibilityResponse&& r, const x12::Segment&) {
        if (r.request_trace() == sent.trace) got = std::move(r);
        return !got;
      });
      if (got) break;
    }
    if (!got) return unreadable("no 271 answers its trace number");
    out.result = eligibility_result(*got, record, payers, {});
    return out;
  }
  std::vector<x12::ClaimStatusResponse> mine;
  for (const auto& text : texts) {
    auto reader = x12::Reader::from_memory(text);
    x12::read_277(reader, [&](x12::ClaimStatusResponse&& r, const x12::Segment&) {
      std::erase_if(r.claims, [&](const auto& c) { return c.trace.number != sent.trace; });
      if (!r.claims.empty()) mine.push_back(std::move(r));
      return true;
    });
  }
  if (mine.empty()) return unreadable("no 277 answers its trace number");
  Result r = claim_status_result(mine, payers, {});
  if (const auto* ref = record.if_contains("ref");
      ref && ref->is_string() && !ref->get_string().empty() && r.outcome == "ok")
    r.answer["ref"] = ref->get_string();
  out.result = std::move(r);
  return out;
}

}  // namespace portal::wire::x12w
