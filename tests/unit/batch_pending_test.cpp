// The engine's "pending" rows (a wire that hands rows over and reads their answers later, as
// x12-files does): they are journaled and written to the results, counted in the summary, keep
// the journal unfinished, go to the wire again on --resume (the answered rows do not), and the
// wire's end-of-run finishers run once, after the last row, their error stopping the run.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include <boost/json.hpp>

#include "portal/batch/journal.hpp"
#include "portal/batch/reader.hpp"
#include "portal/batch/runner.hpp"
#include "provportal/exit_code.hpp"
#include "temp_dir.hpp"

namespace json = boost::json;
using namespace portal;
using namespace portal::batch;

namespace {

using portal::test::TempDir;

// A wire stand-in: rows whose number is in `answered` come back ok, the others pending; it
// counts how often each row was handed to it and asks for one finisher per run.
struct Drop {
  std::mutex mutex;
  std::map<std::string, int> handed;  // ref -> times
  std::set<std::string> answered;
  std::atomic<int> finished{0};
  bool finish_fails = false;
  int rows_when_finished = -1;

  RowResult act(RowContext& row) {
    const std::string ref(row.record().at("ref").as_string());
    RowResult r;
    {
      std::lock_guard lock(mutex);
      ++handed[ref];
      r.outcome = answered.contains(ref) ? "ok" : "pending";
    }
    if (r.outcome == "pending") {
      r.code = "x12_pending";
      r.answer = json::object{{"x12_trn02", "T-" + ref}};
    }
    auto registered = row.at_run_end(this, [this]() -> Expected<void> {
      ++finished;
      std::lock_guard lock(mutex);
      int total = 0;
      for (const auto& [ref, n] : handed) total += n;
      rows_when_finished = total;
      if (finish_fails) return fail(ErrorKind::unavailable, "the outbox is full");
      return {};
    });
    EXPECT_TRUE(registered);
    return r;
  }
};

class BatchPending : public ::testing::Test {
 protected:
  std::string rows(int n) {
    std::string out;
    for (int i = 1; i <= n; ++i) out += R"({"ref":"r)" + std::to_string(i) + "\"}\n";
    return out;
  }

  Operation op() {
    Operation o;
    o.name = "pending-test";
    o.schema = "eligibility";
    o.action = [this](RowContext& row) { return m_drop.act(row); };
    return o;
  }

  Expected<Summary> run(int n, RunOptions options, std::string* results = nullptr) {
    std::istringstream in(rows(n));
    auto reader = make_reader(Format::jsonl, in, "rows.jsonl");
    options.journal = m_dir.path() / "journal.db";
    options.input_name = "rows.jsonl";
    options.prevalidated = true;  // the rows are bare refs: no schema to meet
    options.concurrency = 4;
    std::ostringstream out, err;
    auto s = run_batch(op(), *reader, m_transport, options, out, err);
    if (results) *results = out.str();
    return s;
  }

  JournalInfo journal_info() {
    auto j = Journal::open(m_dir.path() / "journal.db");
    EXPECT_TRUE(j);
    return j ? (*j)->info() : JournalInfo{};
  }

  TempDir m_dir;
  Drop m_drop;
  Transport m_transport;  // never connects: the action sends nothing
};

std::vector<json::object> lines_of(const std::string& text) {
  std::vector<json::object> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(json::parse(line).as_object());
  return out;
}

}  // namespace

TEST_F(BatchPending, PendingRowsAreJournaledCountedAndWrittenWithTheirTrace) {
  m_drop.answered = {"r2"};
  std::string results;
  auto s = run(5, {}, &results);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->pending, 4u);
  EXPECT_EQ(s->ok, 1u);
  EXPECT_EQ(s->failed + s->rejected + s->invalid, 0u);
  EXPECT_NE(s->line().find("4 pending"), std::string::npos) << s->line();
  // Pending is not a failure: the rows went where they were asked to go.
  EXPECT_EQ(portal::cli::compute_exit_code({.batch = &*s}), 0);
  auto lines = lines_of(results);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0].at("outcome").as_string(), "pending");
  EXPECT_EQ(lines[0].at("answer").at("x12_trn02").as_string(), "T-r1");
  EXPECT_EQ(lines[1].at("outcome").as_string(), "ok");
  auto info = journal_info();
  EXPECT_EQ(info.rows_done, 5u);
  EXPECT_EQ(info.pending, 4u);
  EXPECT_FALSE(info.complete) << "a run with pending rows is not finished";
}

TEST_F(BatchPending, ARunWithoutResumeIsToldOfThePendingRows) {
  ASSERT_TRUE(run(3, {}));
  auto again = run(3, {});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::usage);
  EXPECT_NE(again.error().message.find("3 rows pending"), std::string::npos)
      << again.error().message;
  EXPECT_NE(again.error().hint.find("--resume"), std::string::npos);
}

TEST_F(BatchPending, ResumeHandsOnlyThePendingRowsToTheWireAgain) {
  m_drop.answered = {"r1"};
  ASSERT_TRUE(run(4, {}));
  RunOptions resume;
  resume.resume = true;
  m_drop.answered = {"r1", "r2", "r3"};
  std::string results;
  auto s = run(4, resume, &results);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(m_drop.handed["r1"], 1) << "an answered row is taken from the journal";
  EXPECT_EQ(m_drop.handed["r2"], 2);
  EXPECT_EQ(m_drop.handed["r4"], 2);
  EXPECT_EQ(s->resumed, 1u);
  EXPECT_EQ(s->ok, 3u);
  EXPECT_EQ(s->pending, 1u);
  EXPECT_FALSE(journal_info().complete);
  // The last answer comes in: the batch is finished, and a further --resume sends nothing.
  m_drop.answered = {"r1", "r2", "r3", "r4"};
  s = run(4, resume, &results);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->pending, 0u);
  EXPECT_EQ(s->ok, 4u);
  EXPECT_TRUE(journal_info().complete);
  s = run(4, resume, &results);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->resumed, 4u);
  for (const auto& [ref, n] : m_drop.handed) EXPECT_EQ(n, ref == "r1" ? 1 : ref == "r4" ? 3 : 2);
  for (const auto& line : lines_of(results)) EXPECT_EQ(line.at("outcome").as_string(), "ok");
}

TEST_F(BatchPending, TheFinisherRunsOnceAfterTheLastRow) {
  auto s = run(50, {});
  ASSERT_TRUE(s);
  EXPECT_EQ(m_drop.finished.load(), 1);
  EXPECT_EQ(m_drop.rows_when_finished, 50) << "every row was handed over before it ran";
}

TEST_F(BatchPending, AFinisherThatFailsStopsTheRunAndKeepsTheRowsPending) {
  m_drop.finish_fails = true;
  auto s = run(3, {});
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->fatal);
  EXPECT_EQ(s->fatal->message, "the outbox is full");
  EXPECT_TRUE(s->stopped_early);
  EXPECT_EQ(portal::cli::compute_exit_code({.batch = &*s}), 5);
  // --resume hands them over again.
  m_drop.finish_fails = false;
  RunOptions resume;
  resume.resume = true;
  ASSERT_TRUE(run(3, resume));
  EXPECT_EQ(m_drop.handed["r1"], 2);
}

TEST_F(BatchPending, FailFastDoesNotStopAtAPendingRow) {
  RunOptions o;
  o.fail_fast = true;
  auto s = run(10, o);
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->stopped_early);
  EXPECT_EQ(s->pending, 10u);
}

TEST(BatchPendingExchange, OutsideARunTheFinisherRunsAtOnce) {
  struct Bare final : wire::Exchange {
    boost::json::object r;
    std::string k = "key";
    const boost::json::object& record() const override { return r; }
    const std::string& key() const override { return k; }
    std::size_t line() const override { return 1; }
    std::optional<http::Response> send(http::Request) override { return std::nullopt; }
    std::optional<http::Response> send_file(http::Request, const std::filesystem::path&,
                                            std::string) override {
      return std::nullopt;
    }
    wire::Result unanswered() const override { return {}; }
  } bare;
  int ran = 0;
  EXPECT_TRUE(bare.at_run_end(&ran, [&]() -> Expected<void> {
    ++ran;
    return {};
  }));
  EXPECT_EQ(ran, 1);
}
