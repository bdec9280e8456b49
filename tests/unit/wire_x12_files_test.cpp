// The x12-files wire: a run's inquiries go into outbox files (one interchange each, named for an
// SFTP pickup, written ahead through the ledger), rows stay pending until the inbox answers them,
// a row is never written twice, and the answers of the sandbox's clearinghouse (999 and 271)
// become the rows' results, a 999 rejection naming its segment and element.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <boost/json.hpp>

#include "portal/batch/reader.hpp"
#include "portal/batch/runner.hpp"
#include "portal/ops/eligibility.hpp"
#include "portal/util/sqlite.hpp"
#include "portal/wire/x12/inbox.hpp"
#include "portal/wire/x12/ledger.hpp"
#include "portal/wire/x12/vocabulary.hpp"
#include "portal/wire/x12_files/x12_files.hpp"
#include "sandbox/clearinghouse.hpp"
#include "sandbox/portal.hpp"
#include "temp_dir.hpp"
#include "x12/validate.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace portal;

namespace {

using portal::test::TempDir;

const fs::path k_repo = PORTAL_TEST_DATA_DIR "/../..";

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Rows of seeded members (examples/sandbox/members.yaml), then one the roster does not have.
const char* k_rows =
    R"({"ref":"e1","member_id":"ACM100234","first_name":"James","last_name":"Whitaker","date_of_birth":"1958-03-14","health_plan":"acme-commercial","provider_npi":"1234567893","service_date":"2026-11-16"}
{"ref":"e2","member_id":"ACM100418","first_name":"Maria","last_name":"Gonzalez","date_of_birth":"1984-07-22","health_plan":"acme-commercial","provider_npi":"1234567893","service_date":"2026-11-16"}
{"ref":"e3","member_id":"ACM999999","first_name":"Paul","last_name":"Newman","date_of_birth":"1970-01-01","health_plan":"acme-commercial","provider_npi":"1234567893","service_date":"2026-11-16"}
)";

class X12FilesWire : public ::testing::Test {
 protected:
  wire::Settings settings() {
    wire::Settings s;
    s.sender_id = "PROVPORTAL01";
    s.receiver_id = "PROVPORTALSBX";
    s.payers_file = (k_repo / "examples" / "payers.yaml").string();
    s.outbox = (m_dir.path() / "outbox").string();
    s.inbox = (m_dir.path() / "inbox").string();
    s.state_dir = m_dir.path() / "state";
    return s;
  }

  // Runs the eligibility rows over a new wire (as a new process would); the result lines.
  std::vector<json::object> run(bool resume, std::size_t sets_per_file = 5000,
                                batch::Summary* summary = nullptr, const char* rows = k_rows) {
    auto wire = std::make_shared<const wire::x12_files::X12Files>(
        settings(), wire::x12_files::X12Files::Options{sets_per_file});
    auto op = ops::eligibility_operation(wire, [] { return std::string("2026-11-17"); });
    EXPECT_TRUE(op) << (op ? "" : op.error().message);
    std::istringstream in(rows);
    auto reader = batch::make_reader(batch::Format::jsonl, in, "rows.jsonl");
    batch::RunOptions o;
    o.journal = m_dir.path() / "journal.db";
    o.input_name = "rows.jsonl";
    o.resume = resume;
    o.concurrency = 3;
    std::ostringstream out, err;
    auto s = batch::run_batch(*op, *reader, m_transport, o, out, err);
    EXPECT_TRUE(s) << (s ? "" : s.error().message);
    if (s && summary) *summary = *s;
    std::vector<json::object> lines;
    std::istringstream results(out.str());
    std::string line;
    while (std::getline(results, line)) lines.push_back(json::parse(line).as_object());
    return lines;
  }

  // The first run's one outbox file with `from` (found once) replaced by `to` (an outside edit:
  // the wire's own writer refuses what breaks a guide), then answered by the clearinghouse.
  void edit_and_answer(const std::string& from, const std::string& to) {
    run(false);
    auto files = files_in(m_dir.path() / "outbox");
    ASSERT_EQ(files.size(), 1u);
    std::string x12 = read(files[0]);
    const auto at = x12.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    x12.replace(at, from.size(), to);
    std::ofstream(files[0], std::ios::binary | std::ios::trunc) << x12;
    clearinghouse();
  }

  // The sandbox's clearinghouse answers what the outbox holds.
  void clearinghouse() {
    sandbox::Portal portal(m_dir.path() / "sandbox");
    portal.load_seed(k_repo / "examples" / "sandbox");
    portal.clock_set(*parse_iso8601("2026-11-17T15:00:00Z"));
    sandbox::Clearinghouse house(portal, {m_dir.path() / "outbox", m_dir.path() / "inbox", ""});
    house.run_once();
  }

  TempDir m_dir;
  batch::Transport m_transport;  // the wire sends no HTTP requests
};

}  // namespace

TEST_F(X12FilesWire, TheFirstRunWritesOneInterchangeAndLeavesTheRowsPending) {
  batch::Summary s;
  auto lines = run(false, 5000, &s);
  EXPECT_EQ(s.pending, 3u);
  auto files = files_in(m_dir.path() / "outbox");
  ASSERT_EQ(files.size(), 1u);
  const std::string name = files[0].filename().string();
  EXPECT_TRUE(std::regex_match(name, std::regex(R"(PROVPORTAL01_\d{9}_\d{14}\.x12)"))) << name;
  const std::string x12 = read(files[0]);
  x12::ValidateOptions strict;
  strict.require_guide = true;
  auto report = x12::validate(x12, strict);
  EXPECT_TRUE(report.ok()) << (report.findings.empty() ? "" : x12::to_string(report.findings[0]));
  EXPECT_EQ(report.interchanges, 1u);
  EXPECT_EQ(report.transactions, 3u);
  EXPECT_EQ(count(x12, "ISA*"), 1u);
  ASSERT_EQ(lines.size(), 3u);
  for (const auto& l : lines) {
    EXPECT_EQ(l.at("outcome").as_string(), "pending");
    const auto& a = l.at("answer").as_object();
    const std::string trace(a.at("x12_trn02").as_string());
    EXPECT_EQ(a.at("outbox_file").as_string(), name);
    EXPECT_EQ(count(x12, "TRN*1*" + trace + "*"), 1u) << trace;
    EXPECT_NE(x12.find("ST*270*" + std::string(a.at("x12_st02").as_string()) + "*"),
              std::string::npos);
    EXPECT_EQ(std::string(a.at("x12_isa13").as_string()), name.substr(13, 9));
  }
  // Nothing half-written is left behind.
  for (const auto& e : fs::directory_iterator(m_dir.path() / "outbox"))
    EXPECT_EQ(e.path().filename().string().find(".part"), std::string::npos);
}

TEST_F(X12FilesWire, ARunIsCutIntoFilesOfAtMostTheSetsPerFile) {
  run(false, 2);
  auto files = files_in(m_dir.path() / "outbox");
  ASSERT_EQ(files.size(), 2u);
  std::size_t sets = 0;
  std::set<std::string> isa13;
  for (const auto& f : files) {
    const std::string x12 = read(f);
    EXPECT_TRUE(x12::validate(x12).ok()) << f;
    sets += count(x12, "ST*270*");
    isa13.insert(f.filename().string().substr(13, 9));
  }
  EXPECT_EQ(sets, 3u);
  EXPECT_EQ(isa13.size(), 2u) << "each file its own ISA13";
}

TEST_F(X12FilesWire, ResumeBeforeTheAnswersWritesNothingAndStaysPending) {
  run(false);
  const auto before = files_in(m_dir.path() / "outbox");
  batch::Summary s;
  auto lines = run(true, 5000, &s);
  EXPECT_EQ(files_in(m_dir.path() / "outbox"), before);
  EXPECT_EQ(s.pending, 3u);
  for (const auto& l : lines) EXPECT_EQ(l.at("outcome").as_string(), "pending");
}

TEST_F(X12FilesWire, TheClearinghousesAnswersBecomeTheRowsResults) {
  run(false);
  clearinghouse();
  // The file was picked up (moved aside) and answered with a 999 and a 271.
  EXPECT_TRUE(files_in(m_dir.path() / "outbox").empty());
  EXPECT_EQ(files_in(m_dir.path() / "outbox" / ".done").size(), 1u);
  auto answers = files_in(m_dir.path() / "inbox");
  ASSERT_EQ(answers.size(), 2u);
  for (const auto& f : answers) EXPECT_TRUE(x12::validate(read(f)).ok()) << f;
  batch::Summary s;
  auto lines = run(true, 5000, &s);
  EXPECT_EQ(s.pending, 0u);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].at("outcome").as_string(), "ok");
  EXPECT_EQ(lines[0].at("answer").at("status").as_string(), "active");
  EXPECT_EQ(lines[0].at("answer").at("plan").at("id").as_string(), "acme-commercial");
  EXPECT_EQ(lines[0].at("answer").at("member").at("member_id").as_string(), "ACM100234");
  EXPECT_EQ(lines[1].at("outcome").as_string(), "ok");
  EXPECT_EQ(lines[2].at("outcome").as_string(), "rejected");
  EXPECT_EQ(lines[2].at("answer").at("reject_reason").at("x12_aaa").as_string(), "75");
  // Once more: every row is in the journal; nothing is read or written.
  s = {};
  run(true, 5000, &s);
  EXPECT_EQ(s.resumed, 3u);
  EXPECT_TRUE(files_in(m_dir.path() / "outbox").empty());
}

TEST_F(X12FilesWire, ASetThe999RejectsIsARejectedRowNamingTheSegmentAndElement) {
  // Maria's date of birth becomes a day no month has: the 999 rejects her set alone.
  edit_and_answer("DMG*D8*19840722", "DMG*D8*19841341");
  batch::Summary s;
  auto lines = run(true, 5000, &s);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].at("outcome").as_string(), "ok");
  EXPECT_EQ(lines[1].at("outcome").as_string(), "rejected");
  EXPECT_EQ(lines[1].at("code").as_string(), "x12_rejected");
  const std::string message(lines[1].at("message").as_string());
  EXPECT_NE(message.find("999 IK5 R"), std::string::npos) << message;
  ASSERT_TRUE(lines[1].contains("errors"));
  EXPECT_EQ(lines[1].at("errors").at(0).at("field").as_string(), "DMG02")
      << json::serialize(lines[1]);
  EXPECT_EQ(lines[2].at("outcome").as_string(), "rejected");  // AAA 75, answered as usual
}

TEST(X12FilesLedger, RecoveryPublishesWhatWasRecordedAndDropsWhatWasNot) {
  TempDir dir;
  const fs::path outbox = dir.path() / "outbox";
  fs::create_directories(outbox);
  auto ledger = wire::x12w::Ledger::open(dir.path() / "ledger.db");
  ASSERT_TRUE(ledger);
  const std::string name = "S1_000000007_20261117150000.x12";
  wire::x12w::SentSet set{"TRACE1", name, "000000007", "7", "0001", "2026-11-17T15:00:00Z"};
  ASSERT_TRUE((*ledger)->publish(outbox, "S1", name, "ISA...", {set}));
  EXPECT_TRUE(fs::exists(outbox / name));
  ASSERT_TRUE((*ledger)->find("S1", "TRACE1"));
  EXPECT_EQ((*ledger)->find("S1", "TRACE1")->file, name);
  EXPECT_FALSE((*ledger)->find("S2", "TRACE1")) << "another sender's ledger is its own";
  // A run killed after the ledger's commit and before the rename: the .part is published.
  fs::rename(outbox / name, outbox / wire::x12w::part_name(name));
  {
    sqlite::Database db(dir.path() / "ledger.db");
    db.run("UPDATE files SET state = 'staged'");
  }
  // A run killed before its commit: a .part the ledger does not know is removed.
  const std::string orphan = wire::x12w::part_name("S1_000000008_20261117150001.x12");
  std::ofstream(outbox / orphan) << "ISA";
  const std::string foreign = wire::x12w::part_name("OTHER_000000001_20261117150001.x12");
  std::ofstream(outbox / foreign) << "ISA";
  ASSERT_TRUE((*ledger)->recover("S1", outbox, "S1_"));
  EXPECT_TRUE(fs::exists(outbox / name));
  EXPECT_FALSE(fs::exists(outbox / wire::x12w::part_name(name)));
  EXPECT_FALSE(fs::exists(outbox / orphan));
  EXPECT_TRUE(fs::exists(outbox / foreign)) << "another sender's file is not ours to remove";
}

TEST(X12FilesInbox, ControlNumbersMatchWithoutTheirLeadingZeros) {
  EXPECT_EQ(wire::x12w::control_key("000000042"), "42");
  EXPECT_EQ(wire::x12w::control_key("0001"), "1");
  EXPECT_EQ(wire::x12w::control_key("0"), "0");
}

TEST(X12FilesInbox, OnlyWholeFilesAddressedToTheSubmitterCount) {
  TempDir dir;
  // A TA1 to us, one to someone else, and a file still being synced.
  auto ta1 = [](const char* receiver, const char* isa13) {
    std::string isa = "ISA*00*          *00*          *ZZ*PROVPORTALSBX  *ZZ*" +
                      std::string(receiver) + "*261117*1500*^*00501*000000900*0*T*:~";
    return isa + "TA1*" + isa13 + "*261117*1500*R*024~IEA*0*000000900~";
  };
  std::ofstream(dir.path() / "a.x12") << ta1("PROVPORTAL01   ", "000000011");
  std::ofstream(dir.path() / "b.x12") << ta1("SOMEONEELSE    ", "000000012");
  std::ofstream(dir.path() / "c.x12.part") << ta1("PROVPORTAL01   ", "000000013");
  std::ofstream(dir.path() / "notes.txt") << "not X12";
  auto inbox = wire::x12w::Inbox::scan(dir.path(), "PROVPORTAL01");
  ASSERT_NE(inbox.ta1("11"), nullptr);
  EXPECT_EQ(inbox.ta1("000000011")->ack_code, 'R');
  EXPECT_EQ(inbox.ta1("12"), nullptr);
  EXPECT_EQ(inbox.ta1("13"), nullptr);
  EXPECT_TRUE(inbox.problems().empty());
}

TEST_F(X12FilesWire, AnInterchangeATa1RejectsIsARejectedRowForEachOfItsSets) {
  // IEA01 counts two groups where there is one: the envelope is broken, the clearinghouse
  // answers a TA1.
  edit_and_answer("IEA*1*", "IEA*2*");
  auto answers = files_in(m_dir.path() / "inbox");
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_NE(answers[0].filename().string().find("_ta1.x12"), std::string::npos);
  auto lines = run(true);
  ASSERT_EQ(lines.size(), 3u);
  for (const auto& l : lines) {
    EXPECT_EQ(l.at("outcome").as_string(), "rejected") << json::serialize(l);
    EXPECT_EQ(l.at("code").as_string(), "x12_rejected");
    EXPECT_NE(std::string(l.at("message").as_string()).find("TA1 R"), std::string::npos);
    EXPECT_EQ(l.at("errors").at(0).at("field").as_string(), "ISA");
  }
}
