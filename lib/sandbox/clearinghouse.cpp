#include "sandbox/clearinghouse.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "portal/util/atomic_file.hpp"
#include "sandbox/core_answers.hpp"
#include "x12/ack.hpp"
#include "x12/validate.hpp"

namespace portal::sandbox {

namespace fs = std::filesystem;

namespace {

// Files of the pickup to answer: *.x12 that are not hidden (a provider writes ".NAME.part"
// first and renames it when it is whole).
bool waiting(const fs::directory_entry& e) {
  std::error_code ec;
  const std::string name = e.path().filename().string();
  return e.is_regular_file(ec) && !name.empty() && name.front() != '.' && name.ends_with(".x12");
}

std::string read_all(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string without_zeros(std::string_view n) {
  while (n.size() > 1 && n.front() == '0') n.remove_prefix(1);
  return std::string(n);
}

// One answer to write: its file name and bytes, and the inquiries it answers (counted when it is
// written).
struct AnswerFile {
  std::string name, bytes, set_id;
  std::vector<std::string> traces;
  std::string sender;  // the request's ISA06
};

// The accepted 270 and 276 sets of `group` in an interchange of their own: the request's ISA and
// GS, those sets, a GE counting them and the IEA.
std::string accepted_sets(std::string_view bytes, const x12::InterchangeRange& ic,
                          const x12::GroupRange& group,
                          const std::vector<const x12::SetRange*>& sets) {
  const char element = bytes[ic.begin + 3];
  const char terminator = bytes[ic.begin + 105];
  std::string out(bytes.substr(ic.begin, 106));
  out += bytes.substr(group.begin, group.sets.front().begin - group.begin);
  for (const auto* s : sets) out += bytes.substr(s->begin, s->end - s->begin);
  out += std::string("GE") + element + std::to_string(sets.size()) + element +
         group.control_number + terminator + "IEA" + element + "1" + element + ic.control_number +
         terminator;
  return out;
}

}  // namespace

Clearinghouse::Clearinghouse(Portal& portal, ClearinghouseOptions options)
    : m_portal(portal),
      m_options(std::move(options)),
      m_numbers(portal.database_file().parent_path() / "x12-control", 16),
      m_traces(portal.database_file()) {
  fs::create_directories(m_options.pickup);
  fs::create_directories(m_options.dropoff);
  fs::create_directories(m_options.pickup / ".done");
}

std::vector<PickedUp> Clearinghouse::run_once() {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(m_options.pickup))
    if (waiting(e)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<PickedUp> out;
  for (const auto& f : files) out.push_back(answer_file(f));
  m_traces.flush();
  return out;
}

std::vector<std::string> Clearinghouse::deliver_remittances() {
  const fs::path list = m_options.pickup / ".done" / "835-delivered";
  std::set<std::string> delivered;
  {
    std::ifstream in(list);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) delivered.insert(line);
  }
  std::vector<std::string> out;
  for (const auto& r : m_portal.remittances().issued_to(m_options.user_id, m_portal.now())) {
    std::string name = "835_" + r.payer_id + "_" + r.check_number + ".x12";
    for (char& c : name)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') c = '-';
    if (delivered.contains(name)) continue;
    const fs::path target = m_options.dropoff / name;
    std::error_code ec;
    if (!fs::exists(target, ec)) {
      WriteOptions w;
      w.mode = 0600;
      if (auto written = write_file_atomically(target, r.x12, w); !written)
        throw std::runtime_error(written.error().message);
      out.push_back(name);
    }
    std::ofstream(list, std::ios::app) << name << "\n" << std::flush;
    delivered.insert(name);
  }
  if (!out.empty()) spdlog::info("dropped {} remittance file(s)", out.size());
  return out;
}

BatchAnswers answer_batch(Portal& portal, const std::string& user_id, std::string_view bytes,
                          ControlAllocator& numbers, SysTime now) {
  BatchAnswers done;
  auto ranges = x12::envelope_ranges(bytes);
  if (ranges.empty()) ranges.push_back(x12::InterchangeRange{"", "", "", 0, bytes.size(), {}});
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    const auto& ic = ranges[i];
    const std::string_view payload = bytes.substr(ic.begin, ic.end - ic.begin);
    const std::string part = ranges.size() > 1 ? "_" + std::to_string(i + 1) : std::string();
    const RequestInterchange shape = read_request_interchange(payload);
    x12::ValidateOptions options;
    options.require_guide = true;
    const x12::Report report = x12::validate(payload, options);
    for (const auto& g : ic.groups) done.sets += g.sets.size();
    if (interchange_broken(report) || ic.groups.empty()) {
      done.answers.push_back({"TA1",
                              part + "_ta1",
                              write_ta1_answer(shape, payload, report, numbers, now),
                              "TA1",
                              {},
                              shape.isa06});
      continue;
    }
    std::string ack = write_999_answer(shape, payload, report, numbers, now);
    // The sets to answer are the ones the 999 accepts, in groups it does not reject.
    std::set<std::pair<std::string, std::string>> accepted;
    const x12::Acknowledgements verdicts = x12::read_acknowledgements(ack);
    for (const auto& g : verdicts.groups) {
      if (g.status == 'R') continue;
      for (const auto& s : g.sets)
        if (s.accepted())
          accepted.emplace(without_zeros(g.control_number), without_zeros(s.control_number));
    }
    done.answers.push_back({"999", part + "_999", std::move(ack), "999", {}, shape.isa06});
    for (const auto& g : ic.groups) {
      std::vector<const x12::SetRange*> sets;
      for (const auto& s : g.sets) {
        if ((s.set_id == "270" || s.set_id == "276") &&
            accepted.contains({without_zeros(g.control_number), without_zeros(s.control_number)}))
          sets.push_back(&s);
      }
      if (sets.empty()) continue;
      done.accepted += sets.size();
      const std::string set_id = sets.front()->set_id;
      const std::string inquiry = accepted_sets(bytes, ic, g, sets);
      CoreAnswer answered = set_id == "270" ? answer_270(portal, inquiry, shape, numbers, false)
                                            : answer_276(portal, user_id, inquiry, shape, numbers);
      if (answered.empty()) continue;
      const std::string kind = set_id == "270" ? "271" : "277";
      done.answers.push_back({kind, part + "_" + kind + "_" + g.control_number,
                              std::move(answered.payload), set_id, std::move(answered.answered),
                              shape.isa06});
    }
  }
  return done;
}

PickedUp Clearinghouse::answer_file(const fs::path& file) {
  PickedUp done;
  done.file = file.filename().string();
  const std::string stem = file.stem().string();
  const std::string bytes = read_all(file);
  const SysTime now = m_portal.now();
  BatchAnswers batch = answer_batch(m_portal, m_options.user_id, bytes, m_numbers, now);
  done.sets = batch.sets;
  done.accepted = batch.accepted;
  std::vector<AnswerFile> answers;
  for (auto& a : batch.answers)
    answers.push_back({stem + a.suffix + ".x12", std::move(a.bytes), std::move(a.set_id),
                       std::move(a.traces), std::move(a.sender)});
  // A file answered before a crash left its answers behind: they are not written (or counted)
  // again, and the file is moved on.
  for (const auto& a : answers) {
    const fs::path target = m_options.dropoff / a.name;
    done.answers.push_back(a.name);
    std::error_code ec;
    if (fs::exists(target, ec)) continue;
    WriteOptions w;
    w.mode = 0600;
    if (auto written = write_file_atomically(target, a.bytes, w); !written)
      throw std::runtime_error(written.error().message);
    for (const auto& trace : a.traces)
      m_traces.record(m_options.user_id, a.sender, a.set_id, trace, now);
  }
  fs::rename(file, m_options.pickup / ".done" / file.filename());
  spdlog::info("answered {}: {} sets, {} accepted", done.file, done.sets, done.accepted);
  return done;
}

}  // namespace portal::sandbox
