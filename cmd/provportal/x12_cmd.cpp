// provportal x12: the X12 5010 tools that work offline, with no portal and no login.
//   explain   what a code of a payer's answer means and what to do (AAA, STC, CARC, RARC...)
//   validate  check interchanges against the envelope rules and the implementation guides
//   parse     an interchange as segments, as typed acknowledgements (999, TA1), or as the
//             commands' result records (271, 277)
//   build     a batch of records as a 270 or 276 interchange (x12_build.cpp)
// Everything streams: memory does not grow with the size of a file, except the typed
// acknowledgements of one file (see run_parse).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <streambuf>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "commands.hpp"
#include "exit_code.hpp"
#include "portal/ops/fields.hpp"
#include "portal/output/json_text.hpp"
#include "portal/output/output.hpp"
#include "portal/util/atomic_file.hpp"
#include "portal/util/crypto.hpp"
#include "portal/wire/x12/payers.hpp"
#include "portal/wire/x12/vocabulary.hpp"
#include "remittance_view.hpp"
#include "stream_printer.hpp"
#include "x12/ack.hpp"
#include "x12/codes.hpp"
#include "x12/error.hpp"
#include "x12/reader.hpp"
#include "x12/remittance.hpp"
#include "x12/segment.hpp"
#include "x12/transactions.hpp"
#include "x12/validate.hpp"

namespace portal::cli {

namespace json = boost::json;
namespace codes = x12::codes;
namespace x12w = wire::x12w;

// `provportal x12 build` (x12_build.cpp).
void setup_x12_build(CLI::App& x12, Context& ctx);

namespace {

// ---- shared ---------------------------------------------------------------------------------

// True when a machine format was chosen (-o, PROVPORTAL_OUTPUT, the profile's output, -O FILE,
// --fields): explain and validate print plain text for people otherwise, whatever the terminal.
bool machine_output(Context& ctx) {
  if (!ctx.global.output.empty() || ctx.output_file() != nullptr || ctx.fields() != nullptr)
    return true;
  auto s = ctx.settings();
  return s && !(*s)->profile.output.empty();
}

// `text` wrapped at `width` columns, starting at column `column`; every line after the first
// is indented by `indent` spaces.
std::string wrap(std::string_view text, std::size_t indent, std::size_t column,
                 std::size_t width = 100) {
  std::string out;
  bool first = true;
  while (!text.empty()) {
    const std::size_t space = text.find(' ');
    const std::string_view word = text.substr(0, space);
    text.remove_prefix(space == std::string_view::npos ? text.size() : space + 1);
    if (word.empty()) continue;
    if (!first && column + 1 + word.size() > width) {
      out += '\n' + std::string(indent, ' ');
      column = indent;
    } else if (!first) {
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
    first = false;
  }
  return out;
}

// An open input: a file or stdin ("-"). Closes what it opened.
class Input {
 public:
  static Expected<Input> open(const std::string& path) {
    if (path == "-") return Input(path, STDIN_FILENO, false);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return fail(ErrorKind::input, "cannot open " + path + ": " + std::strerror(errno),
                  "check the path (give - to read stdin)");
    }
    return Input(path, fd, true);
  }
  Input(Input&& o) noexcept : m_name(std::move(o.m_name)), m_fd(o.m_fd), m_owned(o.m_owned) {
    o.m_owned = false;
  }
  Input& operator=(Input&&) = delete;
  ~Input() {
    if (m_owned) ::close(m_fd);
  }
  int fd() const { return m_fd; }
  // How findings name it: the path, or "-" for stdin.
  const std::string& name() const { return m_name; }

 private:
  Input(std::string name, int fd, bool owned) : m_name(std::move(name)), m_fd(fd), m_owned(owned) {}
  std::string m_name;
  int m_fd;
  bool m_owned;
};

// ---- explain --------------------------------------------------------------------------------

struct ExplainOptions {
  std::string list;
  std::string code;
};

// "claim status category codes (list 507), in STC01-1"; the element is not said twice.
std::string describe(const codes::ListInfo& l) {
  std::string text(l.title);
  if (text.find(l.element) == std::string::npos) text += ", in " + std::string(l.element);
  return text;
}

std::string list_names() {
  std::string names;
  for (const auto& l : codes::lists()) names += (names.empty() ? "" : ", ") + std::string(l.name);
  return names;
}

json::object code_record(const codes::Code& c, const codes::ListInfo& list) {
  return json::object{{"list", c.list_name},  {"element", list.element},
                      {"code", c.code},       {"title", c.title},
                      {"meaning", c.meaning}, {"action", c.action},
                      {"field", c.field},     {"retry", codes::retry_name(c.retry)}};
}

std::vector<std::string> code_fields() {
  return {"list", "element", "code", "title", "meaning", "action", "field", "retry"};
}

std::string_view retry_words(codes::Retry retry) {
  switch (retry) {
    case codes::Retry::fix:
      return "fix: correct the data, then send it again";
    case codes::Retry::later:
      return "later: nothing to correct; provportal retries it later with backoff, as after a "
             "503";
    case codes::Retry::never:
      return "never: do not send it again";
    case codes::Retry::none:
      break;
  }
  return "";
}

void print_code_text(std::ostream& out, const codes::Code& c) {
  const std::string head = std::string(c.list_name) + " " + std::string(c.code) + ": ";
  out << head << wrap(c.title, 4, head.size()) << '\n';
  auto line = [&out](std::string_view label, std::string_view text) {
    if (text.empty()) return;
    const std::string lead = "  " + std::string(label) + std::string(12 - label.size(), ' ');
    out << lead << wrap(text, lead.size(), lead.size()) << '\n';
  };
  line("Meaning", c.meaning);
  line("What to do", c.action);
  line("Fix field", c.field);
  line("Retry", retry_words(c.retry));
}

// The codes `arg` designates in `list`: one code, or for the claim status categories a
// composite CATEGORY:STATUS[:ENTITY] as STC01 carries it, each part in its own list.
Expected<std::vector<const codes::Code*>> codes_of(codes::List list, const std::string& arg) {
  auto not_found = [](codes::List l, std::string_view code) {
    const auto& info = codes::info(l);
    return fail(ErrorKind::usage,
                "no code " + std::string(code) + " in the " + std::string(info.title),
                "`provportal x12 explain " + std::string(info.name) + "` lists them");
  };
  std::vector<const codes::Code*> found;
  if (list == codes::List::stc_category && arg.find(':') != std::string::npos) {
    constexpr codes::List k_parts[] = {codes::List::stc_category, codes::List::stc_status,
                                       codes::List::entity};
    std::string_view rest = arg;
    for (std::size_t i = 0; !rest.empty() || i == 0; ++i) {
      const std::size_t colon = rest.find(':');
      const std::string_view part = rest.substr(0, colon);
      rest.remove_prefix(colon == std::string_view::npos ? rest.size() : colon + 1);
      if (i >= 3) {
        return fail(ErrorKind::usage,
                    "STC " + arg +
                        ": only CATEGORY:STATUS[:ENTITY] is explained (STC01-4, the "
                        "NCPDP reject code, is not)",
                    "e.g. provportal x12 explain STC A7:21:PR");
      }
      if (part.empty()) {
        return fail(ErrorKind::usage,
                    "STC " + arg + ": part " + std::to_string(i + 1) + " is empty",
                    "e.g. provportal x12 explain STC A7:21:PR");
      }
      const codes::Code* c = codes::find(k_parts[i], part);
      if (c == nullptr) return not_found(k_parts[i], part);
      found.push_back(c);
      if (colon == std::string_view::npos) break;
    }
    return found;
  }
  const codes::Code* c = codes::find(list, arg);
  // A status code alone (`STC 21`) is read in the claim status codes.
  if (c == nullptr && list == codes::List::stc_category)
    c = codes::find(codes::List::stc_status, arg);
  if (c == nullptr) return not_found(list, arg);
  found.push_back(c);
  return found;
}

Expected<void> run_explain(const ExplainOptions& opt, Context& ctx) {
  const auto list = codes::list_named(opt.list);
  if (!list) {
    return fail(ErrorKind::usage, "no code list named \"" + opt.list + "\"",
                "the lists: " + list_names() + " (e.g. provportal x12 explain AAA 75)");
  }
  const auto& info = codes::info(*list);
  const bool machine = machine_output(ctx);
  std::ostream& out = ctx.out();
  if (opt.code.empty()) {
    const auto all = codes::all(*list);
    if (machine) {
      json::array records;
      for (const auto& c : all) records.push_back(code_record(c, codes::info(*list)));
      ctx.print(records);
      return {};
    }
    std::size_t width = 0;
    for (const auto& c : all) width = std::max(width, c.code.size());
    out << info.name << ": " << describe(info) << " (" << all.size() << " codes)\n";
    for (const auto& c : all) {
      const std::string lead =
          "  " + std::string(c.code) + std::string(width + 2 - c.code.size(), ' ');
      std::string tail;
      if (c.retry != codes::Retry::none) tail = std::string(codes::retry_name(c.retry));
      if (!c.field.empty()) tail += (tail.empty() ? "" : " ") + std::string(c.field);
      out << lead
          << wrap(std::string(c.title) + (tail.empty() ? "" : " [" + tail + "]"), lead.size(),
                  lead.size())
          << '\n';
    }
    out << "`provportal x12 explain " << info.name << " CODE` explains one.\n";
    return {};
  }
  auto found = codes_of(*list, opt.code);
  if (!found) return fail(found.error());
  if (machine) {
    if (found->size() == 1) {
      const auto* c = found->front();
      ctx.print(code_record(*c, codes::info(*codes::list_named(c->list_name))));
    } else {
      json::array records;
      for (const auto* c : *found)
        records.push_back(code_record(*c, codes::info(*codes::list_named(c->list_name))));
      ctx.print(records);
    }
    return {};
  }
  for (std::size_t i = 0; i < found->size(); ++i) {
    if (i) out << '\n';
    print_code_text(out, *(*found)[i]);
  }
  return {};
}

// ---- validate -------------------------------------------------------------------------------

struct ValidateCmdOptions {
  std::vector<std::string> files;
  std::size_t max_findings = 1000;
  std::string charset = "extended";
  bool require_guide = false;
};

std::string ack_text(x12::ErrorCode code) {
  const x12::AckCode a = x12::ack_code(code);
  const char* element = "";
  switch (a.level) {
    case x12::AckLevel::interchange:
      element = "TA105";
      break;
    case x12::AckLevel::group:
      element = "AK905";
      break;
    case x12::AckLevel::transaction:
      element = "IK502";
      break;
    case x12::AckLevel::segment:
      element = "IK304";
      break;
    case x12::AckLevel::element:
      element = "IK403";
      break;
  }
  return std::string(element) + " " + std::string(a.code);
}

json::object finding_record(const std::string& file, const x12::Error& e) {
  return json::object{{"file", file},
                      {"segment", e.segment_position},
                      {"offset", e.byte_offset},
                      {"segment_id", e.segment_id},
                      {"loop", e.loop},
                      {"element", e.element},
                      {"component", e.component},
                      {"value", e.value},
                      {"code", x12::code_name(e.code)},
                      {"ack", ack_text(e.code)},
                      {"reason", e.reason}};
}

std::vector<std::string> finding_fields() {
  return {"file",      "segment", "offset", "segment_id", "loop",  "element",
          "component", "value",   "code",   "ack",        "reason"};
}

// The ISA's fields are fixed-width (ISA01..ISA16: 2,10,2,10,2,15,2,15,6,4,1,5,9,1,1,1).
constexpr std::size_t k_isa_widths[] = {2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1};

// A fixed-width ISA finding names a character, not the element: reads that ISA again at
// `offset` (a file can be; stdin cannot) and names the first element of the wrong width.
void name_isa_element(int fd, x12::Error& e) {
  if (e.code != x12::ErrorCode::isa_malformed || e.element != 0 || e.segment_position != 1) return;
  char buf[128];
  const ssize_t n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(e.byte_offset));
  if (n < 4 || std::string_view(buf, 3) != "ISA") return;
  const std::string_view isa(buf, static_cast<std::size_t>(n));
  const char sep = isa[3];
  std::size_t pos = 4;
  for (std::size_t k = 1; k < std::size(k_isa_widths); ++k) {
    const std::size_t end = isa.find(sep, pos);
    if (end == std::string_view::npos) return;
    if (end - pos != k_isa_widths[k - 1]) {
      e.element = static_cast<int>(k);
      e.value = std::string(isa.substr(pos, end - pos));
      e.reason += " (ISA" + std::string(k < 10 ? "0" : "") + std::to_string(k) + " is " +
                  std::to_string(end - pos) + " characters; it must be " +
                  std::to_string(k_isa_widths[k - 1]) + ", space-padded)";
      return;
    }
    pos = end + 1;
  }
}

Expected<void> run_validate(const ValidateCmdOptions& opt, Context& ctx) {
  if (std::count(opt.files.begin(), opt.files.end(), "-") > 1)
    return fail(ErrorKind::usage, "stdin (-) can be read once only");
  x12::ValidateOptions vo;
  vo.max_findings = opt.max_findings;
  vo.charset = opt.charset == "basic" ? x12::Charset::basic : x12::Charset::extended;
  vo.require_guide = opt.require_guide;
  const bool machine = machine_output(ctx);
  std::optional<StreamPrinter> printer;
  if (machine) printer.emplace(ctx, finding_fields(), nullptr);
  std::size_t findings = 0, bad_files = 0;
  for (const auto& path : opt.files) {
    std::vector<x12::Error> found;
    std::size_t dropped = 0;
    auto input = Input::open(path);
    x12::Report report;
    if (!input) {
      x12::Error e;
      e.code = x12::ErrorCode::io_error;
      e.reason = input.error().message;
      found.push_back(std::move(e));
    } else {
      x12::Reader reader(input->fd());
      report = x12::validate(reader, vo);
      found = std::move(report.findings);
      for (auto& e : found) name_isa_element(input->fd(), e);
      dropped = report.dropped;
    }
    if (found.empty() && dropped == 0) {
      ctx.notice(path + ": valid (" + std::to_string(report.interchanges) + " interchange(s), " +
                 std::to_string(report.transactions) + " transaction set(s), " +
                 std::to_string(report.segments) + " segments)");
      continue;
    }
    ++bad_files;
    findings += found.size() + dropped;
    if (printer) {
      json::array page;
      for (const auto& e : found) page.push_back(finding_record(path, e));
      if (auto printed = printer->page(page); !printed) return printed;
    } else {
      std::ostream& out = ctx.out();
      for (const auto& e : found) out << finding_text(path, e) << '\n';
      out.flush();
      if (ctx.output_closed()) return fail(ErrorKind::output_closed, "stdout was closed");
    }
    if (dropped) {
      ctx.notice(path + ": " + std::to_string(dropped) +
                 " more finding(s) not shown (--max-findings " + std::to_string(opt.max_findings) +
                 ")");
    }
  }
  if (printer) printer->finish();
  if (findings == 0) return {};
  // The findings are the output: keep them (-O FILE too) before saying the input is not valid.
  if (auto done = ctx.commit_output(); !done) return fail(done.error());
  return fail(ErrorKind::input,
              std::to_string(findings) + " finding(s) in " + std::to_string(bad_files) + " of " +
                  std::to_string(opt.files.size()) + " file(s)",
              "each finding names the segment (counted from ISA = 1) and the element; correct "
              "them and validate again");
}

// ---- parse ----------------------------------------------------------------------------------

// Serves `prefix` (what --as auto looked at), then the rest of `fd`: the reader sees the whole
// input once, from stdin as from a file. A read error sets badbit, which the reader reports.
class PrefixedInput : public std::streambuf {
 public:
  PrefixedInput(std::string prefix, int fd) : m_prefix(std::move(prefix)), m_fd(fd) {
    setg(m_prefix.data(), m_prefix.data(), m_prefix.data() + m_prefix.size());
  }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    for (;;) {
      const ssize_t n = ::read(m_fd, m_buf, sizeof m_buf);
      if (n > 0) {
        setg(m_buf, m_buf, m_buf + n);
        return traits_type::to_int_type(*gptr());
      }
      if (n == 0) return traits_type::eof();
      if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "read");
    }
  }

 private:
  std::string m_prefix;
  int m_fd;
  char m_buf[64 << 10];
};

// What a typed view tells about the input once read.
struct ViewOutcome {
  std::size_t records = 0;
  std::vector<x12::Error> problems;     // the input's (malformed acknowledgements, envelopes)
  std::vector<std::string> imbalances;  // 835: the sums that do not add up, one line each
  std::optional<Error> failure;         // a local failure that stopped the view (a file write)
};

// What a view reads with besides the input: the run, and the crosswalk that names an answer's
// health plan by its payer ID (null when none was given: the plan's id is then left empty).
struct ViewInputs {
  Context& ctx;
  const x12w::Payers* payers = nullptr;
  // 275: the directory each document is written to (--save-attachments), or null.
  const std::filesystem::path* save_dir = nullptr;
};

// A typed reading of one kind of X12 content: what `x12 parse --as NAME` prints, one record at
// a time. `--as auto` picks the view whose transaction set (ST01, within its GS01 group) the
// input holds first, or whose interchange segment (TA1) it holds when it has no set; anything
// else is printed as segments.
struct TypedView {
  std::string_view name;                  // --as NAME
  std::string_view set_id;                // the ST01 it reads ("999"); "" when it reads a segment
  std::string_view functional_id;         // the GS01 of that set's group ("FA")
  std::string_view segment;               // the interchange-level segment it reads ("TA1")
  std::string_view summary;               // one line for --help
  std::vector<std::string> (*columns)();  // table and CSV columns (also --fields names)
  // Reads `reader` to its end and prints each record with `printer`.
  ViewOutcome (*read)(x12::Reader& reader, StreamPrinter& printer, const ViewInputs& inputs);
  // The --fields names beyond the columns (nullptr: the columns alone).
  std::vector<std::string> (*fields)() = nullptr;
  // Reads answers into the portal's vocabulary: the payers file helps (ViewInputs::payers).
  bool answers = false;
  // The row table and CSV show for a record (nullptr: its columns as they are).
  json::object (*row)(const json::object& record) = nullptr;
};

// ---- the acknowledgement views (999, TA1)

struct Meaning {
  std::string_view code, text;
};
// IK501/AK901 and the IK502..IK506 / AK905..AK909 codes of 005010X231A1.
constexpr Meaning k_ack_status[] = {
    {"A", "accepted"},
    {"E", "accepted with errors"},
    {"P", "partially accepted"},
    {"R", "rejected"},
    {"M", "rejected: message authentication code failed"},
    {"W", "rejected: assurance failed validity tests"},
    {"X", "rejected: content after decryption could not be analyzed"},
};
constexpr Meaning k_ik5_codes[] = {
    {"1", "Transaction set not supported"},
    {"2", "Transaction set trailer missing"},
    {"3", "Transaction set control number in header and trailer do not match"},
    {"4", "Number of included segments does not match actual count"},
    {"5", "One or more segments in error"},
    {"6", "Missing or invalid transaction set identifier"},
    {"7", "Missing or invalid transaction set control number"},
    {"18", "Transaction set not in functional group"},
    {"19", "Invalid transaction set implementation convention reference"},
    {"23", "Transaction set control number not unique within the functional group"},
    {"I5", "Implementation one or more segments in error"},
    {"I6", "Implementation convention not supported"},
};
constexpr Meaning k_ak9_codes[] = {
    {"1", "Functional group not supported"},
    {"2", "Functional group version not supported"},
    {"3", "Functional group trailer missing"},
    {"4", "Group control number in the functional group header and trailer do not agree"},
    {"5", "Number of included transaction sets does not match actual count"},
    {"6", "Group control number violates syntax"},
    {"19", "Functional group control number not unique within interchange"},
};

template <std::size_t N>
std::string_view meaning_of(const Meaning (&table)[N], std::string_view code) {
  for (const Meaning& m : table)
    if (m.code == code) return m.text;
  return {};
}

std::string coded(std::string_view code, std::string_view text) {
  return std::string(code) + (text.empty() ? " (unknown code)" : " " + std::string(text));
}

std::vector<std::string> ack_columns() {
  return {"record",         "functional_id", "group_control_number", "set_id",
          "control_number", "status",        "status_text",          "accepted",
          "reasons",        "notes"};
}

json::object ta1_record(const x12::Ta1& t) {
  return json::object{
      {"record", "ta1"},
      {"control_number", t.control_number},
      {"date", t.date},
      {"time", t.time},
      {"status", std::string(1, t.ack_code)},
      {"status_text", meaning_of(k_ack_status, std::string(1, t.ack_code))},
      {"accepted", t.accepted()},
      {"note_code", t.note_code},
      {"reasons", json::array{json::string(coded(t.note_code, x12::ta1_reason(t.note_code)))}},
      {"segment", t.segment_position}};
}

json::object set_record(const x12::GroupAck& g, const x12::SetAck& s) {
  const std::string status(1, s.status), group_status(1, g.status);
  json::array reasons, group_reasons, segments;
  for (const auto& c : s.codes)
    reasons.push_back(json::string(coded(c, meaning_of(k_ik5_codes, c))));
  for (const auto& c : g.codes)
    group_reasons.push_back(json::string(coded(c, meaning_of(k_ak9_codes, c))));
  std::string notes;  // one line per note, for table and CSV
  for (const auto& n : s.segments) {
    json::array context, elements;
    for (const auto& c : n.context) context.push_back(json::string(c));
    std::string note = "IK3 " + n.segment_id + " at " + std::to_string(n.position) +
                       (n.loop.empty() ? "" : " in " + n.loop) + ": " +
                       coded(n.code, x12::ik3_reason(n.code));
    for (const auto& e : n.elements) {
      elements.push_back(json::object{{"position", e.position},
                                      {"component", e.component},
                                      {"repetition", e.repetition},
                                      {"reference", e.reference},
                                      {"code", e.code},
                                      {"reason", x12::ik4_reason(e.code)},
                                      {"bad_value", e.bad_value}});
      note += "; IK4 element " + std::to_string(e.position) +
              (e.component ? "-" + std::to_string(e.component) : "") +
              (e.reference.empty() ? "" : " (" + e.reference + ")") + ": " +
              coded(e.code, x12::ik4_reason(e.code)) +
              (e.bad_value.empty() ? "" : " \"" + e.bad_value + "\"");
    }
    notes += (notes.empty() ? "" : " | ") + note;
    segments.push_back(json::object{{"segment_id", n.segment_id},
                                    {"position", n.position},
                                    {"loop", n.loop},
                                    {"code", n.code},
                                    {"reason", x12::ik3_reason(n.code)},
                                    {"context", std::move(context)},
                                    {"elements", std::move(elements)}});
  }
  return json::object{{"record", "set"},
                      {"functional_id", g.functional_id},
                      {"group_control_number", g.control_number},
                      {"group_version", g.version},
                      {"group_status", group_status},
                      {"group_status_text", meaning_of(k_ack_status, group_status)},
                      {"group_reasons", std::move(group_reasons)},
                      {"set_id", s.set_id},
                      {"control_number", s.control_number},
                      {"version", s.version},
                      {"status", status},
                      {"status_text", meaning_of(k_ack_status, status)},
                      {"accepted", s.accepted()},
                      {"reasons", std::move(reasons)},
                      {"notes", notes},
                      {"segments", std::move(segments)}};
}

// The TA1s and 999 set acknowledgements of the input. read_acknowledgements holds what it
// read until the end (IK3/IK4 notes capped at 100,000): memory follows the number of sets
// acknowledged, which stays small for acknowledgements.
ViewOutcome read_acks(x12::Reader& reader, StreamPrinter& printer, bool sets) {
  const x12::Acknowledgements acks = x12::read_acknowledgements(reader);
  ViewOutcome outcome;
  outcome.problems = acks.problems;
  json::array page;
  for (const auto& t : acks.ta1s) page.push_back(ta1_record(t));
  if (sets) {
    for (const auto& g : acks.groups)
      for (const auto& s : g.sets) page.push_back(set_record(g, s));
  }
  outcome.records = page.size();
  if (!page.empty()) (void)printer.page(page);
  if (acks.dropped_notes) {
    x12::Error e;
    e.reason = std::to_string(acks.dropped_notes) +
               " IK3/IK4 notes beyond the first 100000 were "
               "left out";
    outcome.problems.push_back(std::move(e));
  }
  return outcome;
}

ViewOutcome read_999(x12::Reader& reader, StreamPrinter& printer, const ViewInputs&) {
  return read_acks(reader, printer, true);
}
ViewOutcome read_ta1(x12::Reader& reader, StreamPrinter& printer, const ViewInputs&) {
  return read_acks(reader, printer, false);
}

// ---- the answer views (271, 277): the commands' result records

// The records of a view, printed a page at a time. A page's records live in one arena, made
// anew for each page out of the same memory, so memory stays flat and a record costs no
// allocation. JSON Lines without --fields are written as JSON text as the records come (the
// printer would copy each record first), into a buffer handed to stdout a megabyte at a time;
// a view may write a record's text there itself (text(), then added()).
class AnswerPages {
 public:
  AnswerPages(StreamPrinter& printer, Context& ctx)
      : m_printer(printer),
        m_ctx(ctx),
        m_direct(ctx.format() == output::Format::jsonl && ctx.fields() == nullptr),
        m_memory(new unsigned char[k_arena]) {
    renew();
  }
  const json::storage_ptr& storage() const { return m_storage; }
  // True when records go out as JSON text (text()).
  bool direct() const { return m_direct; }
  // Where a view writes a record's JSON text when direct(): one value, then added().
  output::JsonText& text() { return m_text; }
  // Ends a record written into text(); false once stdout's reader has gone.
  bool added() {
    m_text.newline();
    ++m_count;
    if (m_text.size() >= k_chunk) write_text();
    return m_open;
  }
  // Adds a record built in storage(); false once stdout's reader has gone.
  bool add(json::object&& record) {
    if (m_direct) {
      {
        const json::object done(std::move(record));  // gone before its arena is renewed
        m_serializer.reset(&done);
        while (!m_serializer.done()) m_text.append(m_serializer.read(m_buffer, sizeof m_buffer));
      }
      if (++m_built >= k_page) {
        m_built = 0;
        renew();
      }
      return added();
    }
    m_page->push_back(std::move(record));
    ++m_count;
    if (m_page->size() >= k_page) flush();
    return m_open;
  }
  void flush() {
    if (m_direct) {
      write_text();
      return;
    }
    if (!m_page->empty() && !m_printer.page(*m_page)) m_open = false;
    renew();
  }
  std::size_t count() const { return m_count; }

 private:
  static constexpr std::size_t k_page = 64;
  // What a page of records usually needs; a bigger one borrows more from the heap.
  static constexpr std::size_t k_arena = 2u << 20;
  // The JSON text handed to stdout at once (one write(2) of a file's worth of records).
  static constexpr std::size_t k_chunk = 1u << 20;
  // A new arena for the next page (a JSON container keeps the storage it was made with). Held
  // by a storage_ptr that does not share it, JSON values in it are dropped without visiting
  // them: nothing in it outlives its page.
  void renew() {
    m_page.reset();
    m_storage = {};
    m_arena.emplace(m_memory.get(), k_arena);
    m_storage = json::storage_ptr(&*m_arena);
    m_page.emplace(m_storage);
  }
  void write_text() {
    if (!m_open) m_text.clear();
    if (m_text.size() == 0) return;
    const std::string_view text = m_text.view();
    m_ctx.out().write(text.data(), static_cast<std::streamsize>(text.size()));
    m_text.clear();
    if (m_ctx.output_closed()) m_open = false;
  }
  StreamPrinter& m_printer;
  Context& m_ctx;
  const bool m_direct;
  std::unique_ptr<unsigned char[]> m_memory;
  std::optional<json::monotonic_resource> m_arena;
  json::serializer m_serializer;
  char m_buffer[16 << 10];
  json::storage_ptr m_storage;
  std::optional<json::array> m_page;
  output::JsonText m_text;
  std::size_t m_built = 0;  // records built in the arena since it was renewed (direct())
  std::size_t m_count = 0;
  bool m_open = true;
};

// A result as a record: the trace it answers, its outcome (and code, message and errors when it
// is not ok), then the answer's fields as the command prints them.
json::object answer_record(std::string_view trace, wire::Result&& result,
                           const json::storage_ptr& sp) {
  json::object record(result.answer.size() + 5, sp);
  record.emplace("trace", trace);
  record.emplace("outcome", result.outcome);
  if (result.outcome != "ok") {
    record.emplace("code", result.code);
    record.emplace("message", result.message);
    if (!result.errors.empty()) {
      json::array errors(sp);
      for (const auto& e : result.errors)
        errors.push_back(json::object({{"field", e.field}, {"message", e.message}}, sp));
      record.emplace("errors", std::move(errors));
    }
  }
  for (auto& member : result.answer) record.emplace(member.key(), std::move(member.value()));
  return record;
}

std::vector<std::string> eligibility_answer_columns() {
  std::vector<std::string> cols = {"trace", "outcome", "code"};
  for (const auto& c : ops::eligibility_result_columns()) cols.push_back(c);
  return cols;
}

std::vector<std::string> claim_answer_columns() {
  return {"trace",
          "outcome",
          "code",
          "claim_count",
          "claim_numbers",
          "status_categories",
          "statuses",
          "reject_reason.code",
          "reject_reason.x12_stc",
          "reject_reason.x12_aaa"};
}

// Every field of an answer view's records (--fields).
std::vector<std::string> answer_fields(std::vector<std::string> fields,
                                       const std::vector<std::string>& more) {
  for (const auto& f : more)
    if (f != "ref" && std::find(fields.begin(), fields.end(), f) == fields.end())
      fields.push_back(f);
  for (const char* f : {"message", "errors", "reject_reason.message", "reject_reason.follow_up",
                        "reject_reason.fix"})
    if (std::find(fields.begin(), fields.end(), f) == fields.end()) fields.emplace_back(f);
  return fields;
}

json::object eligibility_answer_row(const json::object& record) {
  static const std::vector<std::string> k_columns = eligibility_answer_columns();
  return output::project(record, k_columns);
}

std::vector<std::string> eligibility_answer_fields() {
  return answer_fields(eligibility_answer_columns(), ops::eligibility_fields());
}

std::vector<std::string> claim_answer_fields() {
  std::vector<std::string> more = {"as_of", "changed_since", "claims"};
  for (const auto& f : ops::claim_fields()) more.push_back("claims." + f);
  return answer_fields(claim_answer_columns(), more);
}

// The row table and CSV show for a 277 record: its claims summed up as claim-status's results
// file shows them (their numbers, categories and statuses).
json::object claim_answer_row(const json::object& record) {
  json::object row = output::project(record, {"trace", "outcome", "code", "reject_reason"});
  json::array numbers, categories, statuses;
  const auto* claims = record.if_contains("claims");
  if (claims && claims->is_array()) {
    for (const auto& c : claims->get_array()) {
      if (!c.is_object()) continue;
      numbers.push_back(*output::at_path(c.get_object(), "claim_number"));
      categories.push_back(*output::at_path(c.get_object(), "status_category"));
      statuses.push_back(*output::at_path(c.get_object(), "status"));
    }
  }
  row["claim_count"] = numbers.size();
  row["claim_numbers"] = std::move(numbers);
  row["status_categories"] = std::move(categories);
  row["statuses"] = std::move(statuses);
  return row;
}

ViewOutcome read_271(x12::Reader& reader, StreamPrinter& printer, const ViewInputs& inputs) {
  static const x12w::Payers k_none;
  const x12w::Payers& payers = inputs.payers ? *inputs.payers : k_none;
  const json::object no_record;  // the file's rows are not known: the answers say it all
  AnswerPages pages(printer, inputs.ctx);
  auto summary = x12::read_271(reader, [&](x12::EligibilityResponse&& r, const x12::Segment&) {
    auto result = x12w::eligibility_result(r, no_record, payers, pages.storage());
    return pages.add(answer_record(r.request_trace(), std::move(result), pages.storage()));
  });
  pages.flush();
  return {pages.count(), std::move(summary.problems)};
}

ViewOutcome read_277(x12::Reader& reader, StreamPrinter& printer, const ViewInputs& inputs) {
  static const x12w::Payers k_none;
  const x12w::Payers& payers = inputs.payers ? *inputs.payers : k_none;
  AnswerPages pages(printer, inputs.ctx);
  std::vector<x12::ClaimStatusResponse> one(1);
  // An ok record going out as JSON Lines is written as text straight from its answers (the
  // bytes answer_record() of claim_status_result() serializes to); emit() builds the others.
  auto emit_text = [&](std::string_view trace, std::span<const x12::ClaimStatusResponse> r) {
    output::JsonText& text = pages.text();
    text.begin_object();
    text.key("trace");
    text.string(trace);
    text.key("outcome");
    text.string("ok");
    x12w::write_claim_status_answer(text, r, payers);
    text.end_object();
    return pages.added();
  };
  auto emit = [&](std::string_view trace) {
    if (pages.direct() && x12w::claim_status_matched(one)) return emit_text(trace, one);
    auto result = x12w::claim_status_result(one, payers, pages.storage());
    return pages.add(answer_record(trace, std::move(result), pages.storage()));
  };
  auto summary = x12::read_277(reader, [&](x12::ClaimStatusResponse&& r, const x12::Segment&) {
    // One record per inquiry: the claims of one patient answer one trace, unless the payer
    // answered several of its inquiries in one 2000D.
    auto trace_of = [](const x12::ClaimStatusItem& c) { return std::string_view(c.trace.number); };
    const bool one_trace = std::all_of(
        r.claims.begin(), r.claims.end(),
        [&](const x12::ClaimStatusItem& c) { return trace_of(c) == trace_of(r.claims.front()); });
    if (one_trace) {
      // Written from `r` where it stands: the reader reuses its memory for the next answer.
      const std::string_view trace = r.claims.empty() ? std::string_view() : trace_of(r.claims[0]);
      if (pages.direct() && x12w::claim_status_matched({&r, 1})) return emit_text(trace, {&r, 1});
      const std::string kept(trace);
      one[0] = std::move(r);
      return emit(kept);
    }
    std::vector<x12::ClaimStatusItem> claims = std::move(r.claims);
    r.claims.clear();
    std::vector<std::string> traces;
    for (const auto& c : claims)
      if (std::find(traces.begin(), traces.end(), trace_of(c)) == traces.end())
        traces.emplace_back(trace_of(c));
    for (const auto& trace : traces) {
      one[0] = r;
      for (auto& c : claims)
        if (c.trace.number == trace) one[0].claims.push_back(std::move(c));
      if (!emit(trace)) return false;
    }
    return true;
  });
  pages.flush();
  return {pages.count(), std::move(summary.problems)};
}

// ---- the services review view (278): one record per patient event

// HCR01 of 005010X217 in words.
constexpr Meaning k_hcr_actions[] = {
    {"A1", "certified in total"}, {"A2", "certified, partial"},
    {"A3", "not certified"},      {"A4", "pended"},
    {"A6", "modified"},           {"C", "cancelled"},
    {"CT", "contact the payer"},  {"NA", "no action required"},
};

std::vector<std::string> review_columns() {
  return {"record",   "reference",          "trace",     "umo",         "member_id",
          "category", "certification_type", "action",    "action_text", "certification_number",
          "reason",   "procedures",         "diagnoses", "rejections"};
}

json::object review_record(const x12::ServiceReview& r) {
  json::array procedures, diagnoses, rejections, services;
  for (const x12::ReviewService& s : r.services) {
    if (!s.procedure.empty())
      procedures.push_back(
          json::string(s.procedure + (s.quantity.empty() ? "" : ":" + s.quantity)));
    json::array dates;
    for (const x12::DatePeriod& d : s.dates)
      dates.push_back(json::object{{"qualifier", d.qualifier}, {"from", d.from}, {"to", d.to}});
    services.push_back(json::object{{"trace", s.traces.empty() ? "" : s.traces[0].number},
                                    {"procedure", s.procedure},
                                    {"modifiers", json::value_from(s.modifiers)},
                                    {"revenue_code", s.revenue_code},
                                    {"quantity", s.quantity},
                                    {"action", s.decision.action},
                                    {"certification_number", s.decision.certification},
                                    {"reason", s.decision.reason},
                                    {"dates", std::move(dates)}});
  }
  for (const x12::Diagnosis& d : r.diagnoses) diagnoses.push_back(json::string(d.code));
  for (const x12::Rejection& j : r.rejections)
    rejections.push_back(json::string("AAA " + j.reason + " (" + j.loop + ")"));
  for (const x12::ReviewService& s : r.services)
    for (const x12::Rejection& j : s.rejections)
      rejections.push_back(json::string("AAA " + j.reason + " (" + j.loop + ")"));
  std::string certification = r.decision.certification;
  if (certification.empty()) certification = r.previous_certification;
  json::array paperwork;
  for (const x12::Paperwork& p : r.paperwork)
    paperwork.push_back(json::object{{"report_type", p.report_type},
                                     {"transmission", p.transmission},
                                     {"control_number", p.control_number}});
  return json::object{{"record", r.is_response() ? "response" : "request"},
                      {"purpose", r.purpose},
                      {"reference", r.reference},
                      {"trace", r.request_trace()},
                      {"umo", r.umo.id},
                      {"requester_npi", r.requester.id},
                      {"member_id", r.subscriber.id},
                      {"category", r.category},
                      {"certification_type", r.certification_type},
                      {"action", r.decision.action},
                      {"action_text", meaning_of(k_hcr_actions, r.decision.action)},
                      {"certification_number", certification},
                      {"reason", r.decision.reason},
                      {"procedures", std::move(procedures)},
                      {"diagnoses", std::move(diagnoses)},
                      {"rejections", std::move(rejections)},
                      {"paperwork", std::move(paperwork)},
                      {"services", std::move(services)}};
}

// The columns, and what the records hold beyond them.
std::vector<std::string> review_fields() {
  std::vector<std::string> fields = review_columns();
  for (const char* f : {"purpose", "requester_npi", "paperwork", "services"})
    fields.emplace_back(f);
  return fields;
}

ViewOutcome read_278(x12::Reader& reader, StreamPrinter& printer, const ViewInputs&) {
  ViewOutcome outcome;
  json::array page;
  bool open = true;
  auto flush = [&] {
    if (!page.empty() && !printer.page(page)) open = false;
    page.clear();
  };
  auto summary = x12::read_278(reader, [&](x12::ServiceReview&& r, const x12::Segment&) {
    page.push_back(review_record(r));
    ++outcome.records;
    if (page.size() >= 64) flush();
    return open;
  });
  flush();
  outcome.problems = std::move(summary.problems);
  return outcome;
}

// ---- the attachment view (275): one record per document, never its bytes

// The kind of file `data` starts like (PDF, PNG, JPEG, TIFF), text/plain for printable text,
// else application/octet-stream: a label for people, judged by content.
std::string_view content_type_of(std::string_view data) {
  auto starts = [&data](std::string_view magic) { return data.substr(0, magic.size()) == magic; };
  if (starts("%PDF-")) return "application/pdf";
  if (starts("\x89PNG\r\n\x1a\n")) return "image/png";
  if (starts("\xFF\xD8\xFF")) return "image/jpeg";
  if (starts(std::string_view("II*\0", 4)) || starts(std::string_view("MM\0*", 4)))
    return "image/tiff";
  const bool text = std::all_of(data.begin(), data.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u == '\t' || u == '\n' || u == '\r' || (u >= 0x20 && u < 0x7f);
  });
  return text && !data.empty() ? "text/plain" : "application/octet-stream";
}

std::vector<std::string> attachment_columns() {
  return {"control_number", "reference", "payer", "provider_npi", "member_id",
          "category",       "format",    "size",  "sha256",       "content_type"};
}

json::object attachment_record(const x12::Attachment& a) {
  return json::object{{"control_number", a.control.number},
                      {"reference", a.reference},
                      {"purpose", a.purpose},
                      {"payer", a.payer.id},
                      {"provider_npi", a.provider.id},
                      {"member_id", a.patient.id},
                      {"last_name", a.patient.last_or_org},
                      {"first_name", a.patient.first},
                      {"submitted_date", a.submitted_date},
                      {"category", a.category},
                      {"format", a.format},
                      {"file_format", a.file_format},
                      {"size", a.data.size()},
                      {"sha256", sha256_hex(a.data)},
                      {"content_type", content_type_of(a.data)}};
}

std::vector<std::string> attachment_fields() {
  std::vector<std::string> fields = attachment_columns();
  for (const char* f :
       {"purpose", "last_name", "first_name", "submitted_date", "file_format", "saved_as"})
    fields.emplace_back(f);
  return fields;
}

// The file name a document is saved as: its number in the input, its control number (letters,
// digits, '.', '-' and '_' kept, other bytes '_', at most 64) and the extension of its content.
std::string attachment_file_name(std::size_t n, std::string_view control, std::string_view type) {
  std::string name = std::to_string(n) + "-";
  for (char c : control.substr(0, 64)) {
    const bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-' || c == '_';
    name += keep ? c : '_';
  }
  if (type == "application/pdf") return name + ".pdf";
  if (type == "image/png") return name + ".png";
  if (type == "image/jpeg") return name + ".jpg";
  if (type == "image/tiff") return name + ".tif";
  if (type == "text/plain") return name + ".txt";
  return name + ".bin";
}

ViewOutcome read_275(x12::Reader& reader, StreamPrinter& printer, const ViewInputs& inputs) {
  ViewOutcome outcome;
  json::array page;
  bool open = true;
  auto flush = [&] {
    if (!page.empty() && !printer.page(page)) open = false;
    page.clear();
  };
  auto summary = x12::read_275(reader, [&](x12::Attachment&& a, const x12::Segment&) {
    json::object record = attachment_record(a);
    if (inputs.save_dir != nullptr) {
      const std::filesystem::path file =
          *inputs.save_dir /
          attachment_file_name(outcome.records + 1, a.control_number(), content_type_of(a.data));
      // Clinical documents: readable by their owner only.
      auto written = write_file_atomically(file, a.data, {.mode = 0600, .exact_mode = true});
      if (!written) {
        outcome.failure = written.error();
        return false;
      }
      record["saved_as"] = file.string();
    }
    page.push_back(std::move(record));
    ++outcome.records;
    // A page holds records, not documents: a few of them at a time.
    if (page.size() >= 64) flush();
    return open;
  });
  flush();
  outcome.problems = std::move(summary.problems);
  return outcome;
}

// ---- the remittance view (835): one record per service line

ViewOutcome read_835(x12::Reader& reader, StreamPrinter& printer, const ViewInputs&) {
  ViewOutcome outcome;
  json::array page;
  bool open = true;
  auto flush = [&] {
    if (!page.empty() && !printer.page(page)) open = false;
    page.clear();
  };
  auto summary = x12::read_835(reader, [&](x12::Remittance&& r, const x12::Segment&) {
    for (const auto& f : x12::balance(r)) outcome.imbalances.push_back(x12::to_string(f));
    remittance_line_records(r, [&](json::object&& record) {
      page.push_back(std::move(record));
      ++outcome.records;
      if (page.size() >= 64) flush();
      return open;
    });
    return open;
  });
  flush();
  outcome.problems = std::move(summary.problems);
  return outcome;
}

constexpr TypedView k_views[] = {
    {"999", "999", "FA", "",
     "implementation acknowledgments: one record per set acknowledged "
     "(AK2..IK5, with the group's AK1/AK9, the IK3/IK4 notes and their reasons), and the TA1s",
     ack_columns, read_999},
    {"ta1", "", "", "TA1", "interchange acknowledgments: one record per TA1", ack_columns,
     read_ta1},
    {"271", "271", "HB", "",
     "eligibility answers: one record per subscriber (or dependent) answered, with the fields "
     "check-eligibility prints (status, active, member, plan, coverage, service_date, benefits; "
     "reject_reason when the payer rejected the inquiry), its outcome, and `trace`: the 270's "
     "TRN02 it answers",
     eligibility_answer_columns, read_271, eligibility_answer_fields, true, eligibility_answer_row},
    {"277", "277", "HN", "",
     "claim status answers: one record per inquiry answered, with claim-status's fields "
     "(claims, each with claim_number, status_category, status, amounts, check and dates; "
     "reject_reason when the payer could not match it), its outcome and `trace`: the 276's TRN02",
     claim_answer_columns, read_277, claim_answer_fields, true, claim_answer_row},
    {"278", "278", "HI", "",
     "services reviews (005010X217), requests and responses alike: one record per patient "
     "event, with its trace (TRN02), category and certification type (UM01/UM02), the "
     "decision (HCR01 action and its words, the certification number HCR02 or REF*BB, the "
     "reason HCR03), procedures (code:units), diagnoses, the AAA rejections, the attachments "
     "to follow (PWK) and the services",
     review_columns, read_278, review_fields},
    {"275", "275", "PI", "",
     "attachments (005010X210): one record per document (BIN), with the attachment control "
     "number its TRN carries (the 278's PWK06), the parties, CAT's category and format, and "
     "the document's size, SHA-256 and content type (judged by its first bytes); never the "
     "bytes themselves",
     attachment_columns, read_275, attachment_fields},
    {"835", "835", "HP", "",
     "remittance advice: one record per service line paid (one per claim without lines), "
     "with payer, payee, check_number, check_date, payment_method, the claim's control "
     "numbers, claim_status, member_id, service_date, procedure_code, modifiers, the amounts "
     "(charged, allowed, paid, patient_responsibility, exact decimals as strings), adjustments "
     "[{group, carc, amount}] and remarks; each check is balanced and a sum that does not add "
     "up is reported on stderr (exit 1)",
     remittance_columns, read_835, nullptr, false, remittance_row},
};

const TypedView* view_named(std::string_view name) {
  for (const TypedView& v : k_views)
    if (v.name == name) return &v;
  return nullptr;
}

// ---- the generic view: every segment

constexpr std::size_t k_csv_elements = 32;  // e01..e32; more are joined into e32

std::vector<std::string> segment_columns() {
  std::vector<std::string> cols = {"interchange", "position", "offset", "id"};
  for (std::size_t i = 1; i <= k_csv_elements; ++i)
    cols.push_back((i < 10 ? "e0" : "e") + std::to_string(i));
  return cols;
}

// An element as JSON: its text; an array of its components when it has some; {"repeats": [...]}
// when it repeats. The ISA's fields are never split (two of them are the separators).
json::value element_value(const x12::Segment& s, std::size_t i, bool split) {
  const std::string_view text = s.element(i);
  const x12::Delimiters& d = s.delimiters();
  auto composite = [&d](std::string_view v) -> json::value {
    if (v.find(d.component) == std::string_view::npos) return json::string(v);
    json::array parts;
    for (std::size_t c = 1;; ++c) {
      parts.push_back(json::string(x12::Segment::nth_part(v, d.component, c)));
      std::size_t seps = static_cast<std::size_t>(std::count(v.begin(), v.end(), d.component));
      if (c > seps) break;
    }
    return parts;
  };
  if (!split) return json::string(text);
  if (text.find(d.repetition) == std::string_view::npos) return composite(text);
  json::array repeats;
  const auto n = static_cast<std::size_t>(std::count(text.begin(), text.end(), d.repetition)) + 1;
  for (std::size_t r = 1; r <= n; ++r)
    repeats.push_back(composite(x12::Segment::nth_part(text, d.repetition, r)));
  return json::object{{"repeats", std::move(repeats)}};
}

struct SegmentsOutcome {
  std::size_t segments = 0;
  std::optional<x12::Error> error;
};

// Prints every segment `reader` yields, a page of 256 at a time: flat memory for any input.
// JSON, JSON Lines and YAML get each element's structure; table and CSV the elements as
// written, in e01..e32.
Expected<SegmentsOutcome> print_segments(x12::Reader& reader, Context& ctx) {
  const std::vector<std::string> cols = segment_columns();
  const bool as_written =
      ctx.format() == output::Format::table || ctx.format() == output::Format::csv;
  StreamPrinter printer(ctx, cols, [](const json::object& row) { return row; });
  SegmentsOutcome outcome;
  std::size_t interchange = 0;
  json::array page;
  auto flush = [&]() -> Expected<void> {
    if (page.empty()) return {};
    auto printed = printer.page(page);
    page.clear();
    return printed;
  };
  while (const x12::Segment* s = reader.next()) {
    const bool isa = s->id() == "ISA";
    if (isa) ++interchange;
    ++outcome.segments;
    json::object item{{"interchange", interchange},
                      {"position", s->position()},
                      {"offset", s->offset()},
                      {"id", s->id()}};
    const std::size_t n = s->size();
    // A BIN's data (a 275's document) is never printed: its size and SHA-256 stand for it.
    const bool bin = s->id() == "BIN" && n >= 2;
    auto binary = [&s] {
      return "(" + std::to_string(s->element(2).size()) + " bytes of binary data, sha256 " +
             sha256_hex(s->element(2)) + ")";
    };
    if (as_written) {
      // Only the elements present: a table page is as wide as its widest segment.
      for (std::size_t i = 1; i <= n && i <= k_csv_elements; ++i) {
        std::string text = bin && i == 2 ? binary() : std::string(s->element(i));
        for (std::size_t j = i + 1; i == k_csv_elements && j <= n; ++j)
          text += s->delimiters().element + std::string(s->element(j));
        if (!text.empty()) item[cols[3 + i]] = std::move(text);
      }
    } else {
      json::array elements;
      for (std::size_t i = 1; i <= n; ++i)
        elements.push_back(bin && i == 2 ? json::value(json::string(binary()))
                                         : element_value(*s, i, !isa));
      item["elements"] = std::move(elements);
    }
    page.push_back(std::move(item));
    if (page.size() >= 256) {
      if (auto f = flush(); !f) return fail(f.error());
    }
  }
  if (auto f = flush(); !f) return fail(f.error());
  printer.finish();
  if (reader.error()) outcome.error = *reader.error();
  return outcome;
}

// ---- parse itself

struct ParseOptions {
  std::string file;
  std::string as = "auto";
  std::string payers_file;
  std::string save_attachments;  // --save-attachments DIR (275)
};

// The payers file an answer view names health plans with: --payers-file, else the profile's
// payers_file (PROVPORTAL_PAYERS_FILE), else none.
Expected<std::optional<x12w::Payers>> parse_payers(const ParseOptions& opt, Context& ctx) {
  std::string file = opt.payers_file;
  if (file.empty()) {
    auto settings = ctx.settings();
    if (settings) file = (*settings)->profile.payers_file;
  }
  if (file.empty()) return std::optional<x12w::Payers>();
  auto payers = x12w::Payers::load(file);
  if (!payers) return fail(payers.error());
  return std::optional<x12w::Payers>(std::move(*payers));
}

// Looks at the start of `fd` (up to the first ST, at most 256 KiB) to choose the view for --as
// auto; `prefix` keeps what was read, for the reader. nullptr: print segments.
const TypedView* detect(int fd, std::string& prefix) {
  std::string gs01, st01;
  bool ta1 = false;
  char buf[16 << 10];
  while (st01.empty() && prefix.size() < (256u << 10)) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    prefix.append(buf, static_cast<std::size_t>(n));
    x12::Reader peek = x12::Reader::from_memory(std::string_view(prefix));
    while (const x12::Segment* s = peek.next()) {
      if (s->id() == "TA1") ta1 = true;
      if (s->id() == "GS") gs01 = s->element(1);
      if (s->id() == "ST") {
        st01 = s->element(1);
        break;
      }
    }
  }
  for (const TypedView& v : k_views)
    if (!st01.empty() && v.set_id == st01 && (v.functional_id.empty() || v.functional_id == gs01))
      return &v;
  if (st01.empty() && ta1) return view_named("ta1");
  return nullptr;
}

Expected<void> run_parse(const ParseOptions& opt, Context& ctx) {
  auto input = Input::open(opt.file);
  if (!input) return fail(input.error());
  const TypedView* view = nullptr;
  bool segments = opt.as == "segments";
  std::string prefix;
  const off_t start = ::lseek(input->fd(), 0, SEEK_CUR);
  if (opt.as == "auto") {
    view = detect(input->fd(), prefix);
    segments = view == nullptr;
    spdlog::info("{}: read as {} (--as auto)", input->name(),
                 view ? std::string(view->name) : std::string("segments"));
  } else if (!segments) {
    view = view_named(opt.as);
  }
  // A file is read again from where it started, by the reader itself (no stream between, no
  // copy); a pipe goes on after what --as auto looked at.
  if (!prefix.empty() && start >= 0 && ::lseek(input->fd(), start, SEEK_SET) == start)
    prefix.clear();
  const bool from_fd = prefix.empty();
  PrefixedInput buffer(std::move(prefix), input->fd());
  std::istream stream(&buffer);
  x12::Reader reader = from_fd ? x12::Reader(input->fd()) : x12::Reader(stream);

  std::vector<x12::Error> problems;
  std::vector<std::string> imbalances;
  std::size_t records = 0;
  if (segments) {
    if (!opt.save_attachments.empty())
      return fail(ErrorKind::usage, "--save-attachments is for 275s, not the segments view");
    auto printed = print_segments(reader, ctx);
    if (!printed) return fail(printed.error());
    records = printed->segments;
    if (printed->error) problems.push_back(*printed->error);
  } else {
    std::optional<x12w::Payers> payers;
    if (view->answers) {
      auto loaded = parse_payers(opt, ctx);
      if (!loaded) return fail(loaded.error());
      payers = std::move(*loaded);
    }
    const std::filesystem::path save_dir = opt.save_attachments;
    if (!opt.save_attachments.empty() && view->set_id != "275")
      return fail(ErrorKind::usage,
                  "--save-attachments is for 275s, not a " + std::string(view->name) + " view");
    if (!opt.save_attachments.empty() && !std::filesystem::is_directory(save_dir))
      return fail(ErrorKind::usage,
                  "--save-attachments " + opt.save_attachments + " is not a directory");
    StreamPrinter printer(ctx, view->columns(), view->row);
    ViewOutcome outcome = view->read(
        reader, printer,
        {ctx, payers ? &*payers : nullptr, opt.save_attachments.empty() ? nullptr : &save_dir});
    printer.finish();
    if (outcome.failure) return fail(*outcome.failure);
    records = outcome.records;
    problems = std::move(outcome.problems);
    imbalances = std::move(outcome.imbalances);
    // Sets of another kind are skipped (a 999 beside the 271s): said, not a fault of the input.
    std::erase_if(problems, [&](const x12::Error& e) {
      if (e.code != x12::ErrorCode::transaction_not_supported || !e.segment_id.starts_with("ST"))
        return false;
      ctx.notice(finding_text(input->name(), e));
      return true;
    });
    if (records == 0 && problems.empty()) {
      if (auto done = ctx.commit_output(); !done) return fail(done.error());
      return fail(ErrorKind::input,
                  input->name() + " holds no " +
                      (view->segment.empty() ? std::string(view->set_id) + " transaction set"
                                             : std::string(view->segment) + " segment"),
                  "`provportal x12 parse --as segments " + opt.file + "` shows what it holds");
    }
  }
  if (ctx.output_closed()) return fail(ErrorKind::output_closed, "stdout was closed");
  for (const auto& line : imbalances) ctx.notice(input->name() + ": " + line);
  if (problems.empty() && !imbalances.empty()) {
    // Like a batch with rejected rows: every record is printed, some sums need a person.
    ctx.notice(input->name() + " does not balance: " + std::to_string(imbalances.size()) +
               " sum(s) listed above; " + std::to_string(records) +
               " record(s) were printed. Post those checks by hand or ask the payer for a "
               "corrected 835.");
    ctx.exit_code = k_exit_partial;
    return {};
  }
  if (problems.empty()) return {};
  for (const auto& p : problems) ctx.notice(finding_text(input->name(), p));
  if (auto done = ctx.commit_output(); !done) return fail(done.error());
  return fail(ErrorKind::input,
              input->name() + " is not well-formed X12: " + std::to_string(problems.size()) +
                  " problem(s), listed above (" + std::to_string(records) +
                  " record(s) were printed before)",
              "`provportal x12 validate " + opt.file + "` checks it in full");
}

}  // namespace

void setup_x12(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "x12",
      "X12 5010 offline tools: explain a payer's codes, validate, parse and build interchanges");
  cmd->require_subcommand(1);
  cmd->footer(
      "Examples:\n"
      "  provportal x12 explain AAA 75\n"
      "  provportal x12 explain STC A7:21:PR\n"
      "  provportal x12 validate outbox/*.x12\n"
      "  provportal x12 parse --as 999 inbox/999_0001.x12 -o jsonl\n"
      "  provportal x12 parse inbox/271_0001.x12 -o csv\n"
      "  provportal x12 build 270 --batch examples/eligibility.csv -O eligibility.x12\n\n"
      "They work offline: no portal, no login. explain and validate print text for people "
      "unless\n"
      "-o (or -O, PROVPORTAL_OUTPUT, the profile's output) asks for a machine format; parse "
      "prints\n"
      "records (a table on a terminal, JSON otherwise); build writes X12.");

  // explain
  auto eopt = std::make_shared<ExplainOptions>();
  auto* explain = cmd->add_subcommand(
      "explain", "What a code of a payer's answer means, what to do, and whether to send again");
  std::vector<std::string> names;
  for (const auto& l : codes::lists()) names.emplace_back(l.name);
  with_choices(
      explain->add_option("list", eopt->list, "The code list: " + list_names() + " (any case)")
          ->required()
          ->type_name("LIST"),
      names, false);
  explain
      ->add_option("code", eopt->code,
                   "The code; for STC, CATEGORY:STATUS[:ENTITY] as STC01 carries it (each "
                   "part explained). Without it, the whole list")
      ->type_name("CODE");
  std::string lists_help;
  for (const auto& l : codes::lists()) {
    std::string name(l.name);
    lists_help += "  " + name + std::string(8 - std::min<std::size_t>(7, name.size()), ' ') +
                  describe(l) + "\n";
  }
  explain->footer(
      "Examples:\n"
      "  provportal x12 explain AAA 75\n"
      "  provportal x12 explain AAA 42 -o json\n"
      "  provportal x12 explain STC A7:21:PR\n"
      "  provportal x12 explain CARC 45\n"
      "  provportal x12 explain RARC N130\n"
      "  provportal x12 explain AAA04 C\n"
      "  provportal x12 explain AAA -o csv > aaa03.csv     # the whole list\n\n"
      "Lists:\n" +
      lists_help +
      "\n"
      "Each code says what it means for a provider office, what to do, the record field to "
      "correct\n"
      "(member_id, date_of_birth, first_name/last_name, provider_npi, service_date, "
      "health_plan)\n"
      "and the retry class: fix (correct, then send again), later (nothing to correct: "
      "provportal\n"
      "retries it with backoff, as after a 503: AAA 42 and 80), never (do not send it again).\n"
      "-o json|jsonl|csv|yaml|table prints the fields list, element, code, title, meaning, "
      "action,\n"
      "field and retry. A list or code that does not exist is a usage error (exit 2): the "
      "argument\n"
      "names nothing, and nothing else was attempted; `provportal x12 explain LIST` lists the "
      "codes.");
  explain->callback([eopt, &ctx] {
    ctx.declare_fields(code_fields());
    ctx.action = [eopt, &ctx] { return run_explain(*eopt, ctx); };
  });

  // validate
  auto vopt = std::make_shared<ValidateCmdOptions>();
  auto* validate =
      cmd->add_subcommand("validate",
                          "Check X12 interchanges: envelopes, control numbers, counts and the "
                          "implementation guides (270/271, 276/277, 278, 275, 835, 999)");
  validate->add_option("files", vopt->files, "The interchanges to check (- for stdin)")
      ->required()
      ->type_name("FILE");
  validate
      ->add_option("--max-findings", vopt->max_findings,
                   "Report at most N findings per file; the rest are counted (default 1000)")
      ->type_name("N")
      ->check(CLI::PositiveNumber);
  with_choices(validate
                   ->add_option("--charset", vopt->charset,
                                "Characters data may hold: extended (default) or basic (the X12 "
                                "basic set, what every receiver accepts)")
                   ->type_name("SET"),
               {"extended", "basic"});
  validate->add_flag("--require-guide", vopt->require_guide,
                     "A transaction set without an implementation guide here (an 837...) is a "
                     "finding, not only its envelope checked");
  validate->footer(
      "Examples:\n"
      "  provportal x12 validate request.x12\n"
      "  provportal x12 validate outbox/*.x12 -o jsonl > findings.jsonl\n"
      "  some-generator | provportal x12 validate -\n\n"
      "Each finding is one line, FILE:segment N (ID, loop L) element E: reason, segments "
      "counted\n"
      "from the ISA (= 1) of their interchange; -o json|jsonl|csv|yaml|table prints them as "
      "records\n"
      "(file, segment, offset, segment_id, loop, element, component, value, code, ack: the "
      "999/TA1\n"
      "code a receiver would send, reason). Files are read as they stream: memory stays flat "
      "for a\n"
      "file of any size. Exit status 0 when every file is valid, 3 when there are findings "
      "(an\n"
      "input error: the file cannot be used as it is) or a file cannot be read, 2 for a usage "
      "error.");
  validate->callback([vopt, &ctx] {
    ctx.declare_fields(finding_fields());
    ctx.action = [vopt, &ctx] { return run_validate(*vopt, ctx); };
  });

  // parse
  auto popt = std::make_shared<ParseOptions>();
  auto* parse = cmd->add_subcommand(
      "parse",
      "Print an X12 file as segments, as typed acknowledgements (999, TA1), or as the commands' "
      "results (271, 277, 278, 835) or attachments (275)");
  parse->add_option("file", popt->file, "The interchange to read (- for stdin)")
      ->required()
      ->type_name("FILE");
  std::vector<std::string> views = {"auto", "segments"};
  std::string views_help;
  for (const TypedView& v : k_views) {
    views.emplace_back(v.name);
    views_help += "  " + std::string(v.name) + std::string(10 - v.name.size(), ' ') +
                  wrap(v.summary, 12, 12, 98) + "\n";
  }
  with_choices(parse
                   ->add_option("--as", popt->as,
                                "How to read it: auto (default: by its first ST01/GS01, "
                                "else segments), segments, or a typed view")
                   ->type_name("VIEW"),
               views);
  parse
      ->add_option("--payers-file", popt->payers_file,
                   "For 271 and 277: health plans by payer ID, like examples/payers.yaml, to name "
                   "each answer's plan (default: the profile's payers_file, "
                   "PROVPORTAL_PAYERS_FILE)")
      ->type_name("FILE");
  parse
      ->add_option("--save-attachments", popt->save_attachments,
                   "For 275: write each document (BIN02) into DIR as N-CONTROL.EXT (mode 0600), "
                   "its path in the record's saved_as")
      ->type_name("DIR");
  parse->footer(
      "Examples:\n"
      "  provportal x12 parse request.x12 -o jsonl\n"
      "  provportal x12 parse --as 999 inbox/999_0001.x12 -o json | jq '.[] | "
      "select(.accepted == false)'\n"
      "  provportal x12 parse --as ta1 inbox/ta1.x12\n"
      "  provportal x12 parse --as segments big.x12 -o csv > segments.csv\n"
      "  provportal x12 parse inbox/271_0001.x12 -o jsonl --fields trace,status,plan.id\n"
      "  provportal x12 parse --as 277 inbox/277_0001.x12 -o csv\n"
      "  provportal x12 parse --as 278 inbox/278_0001.x12 -o jsonl --fields trace,action,"
      "certification_number\n"
      "  provportal x12 parse --as 275 outbox/275_0001.x12 --fields control_number,size,sha256\n"
      "  provportal x12 parse --as 835 inbox/835_0001.x12 -o csv > remittance.csv\n\n"
      "Views:\n"
      "  segments  every segment: interchange, position (ISA = 1), offset (byte), id and "
      "elements,\n"
      "            an element being its text, an array of its components, or {\"repeats\": "
      "[...]};\n"
      "            table and CSV show the elements as written in e01..e32 (more join into "
      "e32)\n" +
      views_help +
      "\n"
      "Segments are printed as they are read (-o json is one array written as it goes): memory "
      "stays\n"
      "flat for a file of any size, and so it does for 271 and 277 (one answer in memory at a "
      "time)\n"
      "and 835 (one check in memory at a time).\n"
      "The acknowledgement views hold one file's acknowledgements until the end. A 271 or 277\n"
      "record's `trace` is the TRN02 of the inquiry it answers: `provportal x12 build` and the\n"
      "X12 wires make it from the row's idempotency key.\n"
      "Exit status 0 when the file was read whole, 3 when it is not well-formed X12 (what "
      "could be\n"
      "read is printed first, the problems go to stderr) or holds nothing of the view asked "
      "for;\n"
      "1 when an 835 was read whole but does not balance (every record is printed; each sum "
      "that\n"
      "does not add up goes to stderr as FILE: check N claim C line L: expected X, found Y\n"
      "(difference D); RULE).");
  parse->callback([popt, &ctx] {
    std::vector<std::string> fields = segment_columns();
    fields.emplace_back("elements");
    for (const TypedView& v : k_views) {
      for (auto& c : v.fields ? v.fields() : v.columns())
        if (std::find(fields.begin(), fields.end(), c) == fields.end()) fields.push_back(c);
    }
    ctx.declare_fields(std::move(fields));
    ctx.action = [popt, &ctx] { return run_parse(*popt, ctx); };
  });

  setup_x12_build(*cmd, ctx);
}

}  // namespace portal::cli
