// --wait: one bounded wait for the whole process, ended early by the probe, shared by every
// thread that meets the outage, and ended at once by Ctrl-C.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "portal/api/outage_wait.hpp"

using namespace portal;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

namespace {

Error maintenance() {
  Error e(ErrorKind::unavailable, "the portal is down for its weekly maintenance");
  e.code = "maintenance";
  return e;
}

double seconds_since(Steady::time_point t) {
  return std::chrono::duration<double>(Steady::now() - t).count();
}

}  // namespace

TEST(OutageWait, BeyondTheBoundFailsAtOnceWithoutSleeping) {
  api::WaitOptions o;
  o.max_wait = 30s;
  api::OutageWait w(o);
  auto t = Steady::now();
  auto r = w.wait(31s, true, maintenance());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::unavailable);
  EXPECT_NE(r.error().message.find("--max-wait"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().hint.find("local time"), std::string::npos) << r.error().hint;
  EXPECT_LT(seconds_since(t), 0.5);
  EXPECT_LT(w.waited().count(), 0.5);
}

TEST(OutageWait, WaitsTheRetryAfterAndCountsItAgainstTheBound) {
  api::WaitOptions o;
  o.max_wait = 2s;
  api::OutageWait w(o);
  auto t = Steady::now();
  ASSERT_TRUE(w.wait(1s, false, Error(ErrorKind::unavailable, "busy")));
  EXPECT_GE(seconds_since(t), 0.95);
  EXPECT_GE(w.waited().count(), 0.95);
  // One second of the two is spent: a second outage of two seconds is beyond what is left.
  t = Steady::now();
  EXPECT_FALSE(w.wait(2s, false, Error(ErrorKind::unavailable, "busy")));
  EXPECT_LT(seconds_since(t), 0.5);
}

TEST(OutageWait, TheProbeEndsAMaintenanceWaitEarly) {
  std::atomic<int> probes{0};
  api::WaitOptions o;
  o.poll = 1s;
  o.probe = [&]() -> std::optional<std::chrono::seconds> {
    return ++probes >= 2 ? 0s : std::optional<std::chrono::seconds>(3600s);
  };
  api::OutageWait w(o);
  auto t = Steady::now();
  ASSERT_TRUE(w.wait(3600s, true, maintenance()));
  EXPECT_EQ(probes.load(), 2);
  EXPECT_LT(seconds_since(t), 5);
}

TEST(OutageWait, AProbeThatMovesTheEndBeyondTheBoundFails) {
  api::WaitOptions o;
  o.poll = 1s;
  o.max_wait = 600s;
  o.probe = []() -> std::optional<std::chrono::seconds> { return 7200s; };
  api::OutageWait w(o);
  auto r = w.wait(60s, true, maintenance());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::unavailable);
}

TEST(OutageWait, OtherThreadsJoinTheWaitAndPassBlocksMeanwhile) {
  api::WaitOptions o;
  api::OutageWait w(o);
  auto t = Steady::now();
  std::thread leader(
      [&] { EXPECT_TRUE(w.wait(1s, false, Error(ErrorKind::unavailable, "busy"))); });
  std::this_thread::sleep_for(200ms);
  std::atomic<double> joined_at{0}, passed_at{0};
  std::thread joiner([&] {
    EXPECT_TRUE(w.wait(1s, false, Error(ErrorKind::unavailable, "busy")));
    joined_at = seconds_since(t);
  });
  std::thread passer([&] {
    w.pass();
    passed_at = seconds_since(t);
  });
  leader.join();
  joiner.join();
  passer.join();
  // The joiner shared the leader's wait instead of adding a second second.
  EXPECT_GE(joined_at.load(), 0.95);
  EXPECT_LT(joined_at.load(), 2.5);  // generous: the machine may be busy
  EXPECT_GE(passed_at.load(), 0.95);
  EXPECT_LT(w.waited().count(), 1.9);
}

TEST(OutageWait, CancellingEndsTheWaitAtOnce) {
  std::atomic<bool> stop{false};
  api::WaitOptions o;
  o.cancelled = [&] { return stop.load(); };
  api::OutageWait w(o);
  std::thread stopper([&] {
    std::this_thread::sleep_for(300ms);
    stop = true;
  });
  auto t = Steady::now();
  auto r = w.wait(3600s, true, maintenance());
  stopper.join();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::interrupted);
  EXPECT_LT(seconds_since(t), 3);
}

TEST(OutageWait, AZeroRetryAfterStillSpendsTheBound) {
  api::WaitOptions o;
  o.max_wait = 3s;
  api::OutageWait w(o);
  int waits = 0;
  while (w.wait(0s, true, maintenance()) && waits < 100) ++waits;
  // A second each (a little more, in truth), so the third would go beyond the bound.
  EXPECT_EQ(waits, 2);
}

TEST(OutageWait, DescribesDurationsAsPeopleSayThem) {
  EXPECT_EQ(api::describe_duration(40s), "40 s");
  EXPECT_EQ(api::describe_duration(90s), "2 min");
  EXPECT_EQ(api::describe_duration(5h + 15min), "5 h 15 min");
  EXPECT_EQ(api::describe_duration(6h), "6 h");
}

TEST(OutageWait, AWaitLongerThanTheKeepaliveIntervalTouchesTheSessionEachInterval) {
  std::atomic<int> touches{0};
  api::WaitOptions o;
  o.keepalive_every = 1s;
  o.keepalive = [&] { ++touches; };
  api::OutageWait w(o);
  ASSERT_TRUE(w.wait(3s, false, Error(ErrorKind::unavailable, "busy")));
  // At 1 s and 2 s (and perhaps at the very end): never before the first interval has passed.
  EXPECT_GE(touches.load(), 2);
  EXPECT_LE(touches.load(), 3);

  touches = 0;
  ASSERT_TRUE(w.wait(1s, false, Error(ErrorKind::unavailable, "busy")));
  EXPECT_LE(touches.load(), 1) << "a short wait does not touch the session";
}
