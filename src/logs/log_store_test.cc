#include "logs/log_store.h"

#include "logs/put_rules.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/support/temp_dir.h"

namespace wharf::logs {
namespace {

const StreamId kStream{"/ecs/app", "web/abc"};

Batch MakeBatch(int64_t from_ts, int n, const std::string& prefix = "line ") {
  Batch b;
  b.ingestion_time = 42;
  for (int i = 0; i < n; ++i) b.Add(from_ts + i, prefix + std::to_string(from_ts + i));
  return b;
}

std::vector<int64_t> Times(const StreamRead& r) {
  std::vector<int64_t> out;
  for (const auto& e : r.events) out.push_back(e.position.timestamp);
  return out;
}

std::vector<std::string> SegmentFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".seg") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(LogStoreTest, AppendsAndReadsForwardAndBackward) {
  testing::TempDir dir;
  auto store = LogStore::Open(dir.path().string()).value();
  ASSERT_TRUE(store->AppendAndWait(kStream, MakeBatch(1000, 100)).ok());
  StreamQuery q;
  q.limit = 10;
  auto head = store->Read(kStream, q).value();
  EXPECT_EQ(Times(head).front(), 1000);
  EXPECT_EQ(head.events.size(), 10u);
  EXPECT_EQ(head.events[0].message, "line 1000");
  EXPECT_EQ(head.events[0].ingestion_time, 42);
  q.forward = false;
  auto tail = store->Read(kStream, q).value();
  EXPECT_EQ(Times(tail).front(), 1090);
  EXPECT_EQ(Times(tail).back(), 1099);
  // After / before positions page through.
  q.forward = true;
  q.after = head.events.back().position;
  EXPECT_EQ(Times(store->Read(kStream, q).value()).front(), 1010);
  q = StreamQuery{};
  q.min_time = 1050;
  q.max_time = 1052;
  EXPECT_EQ(Times(store->Read(kStream, q).value()), (std::vector<int64_t>{1050, 1051, 1052}));
  auto stats = store->Stats(kStream).value();
  EXPECT_EQ(stats.event_count, 100);
  EXPECT_EQ(*stats.first_event_time, 1000);
  EXPECT_EQ(*stats.last_event_time, 1099);
  EXPECT_EQ(*stats.last_ingestion_time, 42);
}

TEST(LogStoreTest, OutOfOrderBatchesStartSegmentsAndReadsMergeThem) {
  testing::TempDir dir;
  auto store = LogStore::Open(dir.path().string()).value();
  ASSERT_TRUE(store->AppendAndWait(kStream, MakeBatch(2000, 5)).ok());
  ASSERT_TRUE(store->AppendAndWait(kStream, MakeBatch(1000, 5)).ok());  // older: a new segment
  ASSERT_TRUE(store->AppendAndWait(kStream, MakeBatch(3000, 5)).ok());
  EXPECT_EQ(SegmentFiles(store->StreamDir(kStream)).size(), 2u);
  StreamQuery q;
  auto all = store->Read(kStream, q).value();
  std::vector<int64_t> want = {1000, 1001, 1002, 1003, 1004, 2000, 2001, 2002, 2003, 2004, 3000, 3001, 3002, 3003, 3004};
  EXPECT_EQ(Times(all), want);
  q.forward = false;
  q.limit = 7;
  EXPECT_EQ(Times(store->Read(kStream, q).value()), std::vector<int64_t>(want.end() - 7, want.end()));
  q.forward = true;
  q.limit = 7;
  EXPECT_EQ(Times(store->Read(kStream, q).value()), std::vector<int64_t>(want.begin(), want.begin() + 7));
}

TEST(LogStoreTest, ReopenRecoversAndDropsATornTail) {
  testing::TempDir dir;
  std::string seg;
  {
    auto store = LogStore::Open(dir.path().string()).value();
    ASSERT_TRUE(store->AppendAndWait(kStream, MakeBatch(1000, 50)).ok());
    seg = SegmentFiles(store->StreamDir(kStream)).at(0);
  }
  // A crash in the middle of the next write: half a record at the end of the file.
  std::string half;
  EncodeRecord(5000, 1, "this record was never acknowledged", half);
  {
    std::ofstream f(seg, std::ios::app | std::ios::binary);
    f.write(half.data(), static_cast<std::streamsize>(half.size() / 2));
  }
  auto size_before = std::filesystem::file_size(seg);
  auto store = LogStore::Open(dir.path().string()).value();
  auto all = store->Read(kStream, StreamQuery{}).value();
  ASSERT_EQ(all.events.size(), 50u);
  EXPECT_EQ(all.events.back().message, "line 1049");
  EXPECT_LT(std::filesystem::file_size(seg), size_before);  // truncated to the last good record
  // Appends continue after the good data.
  ASSERT_TRUE(store->AppendAndWait(kStream, MakeBatch(1050, 1)).ok());
  EXPECT_EQ(store->Read(kStream, StreamQuery{}).value().events.size(), 51u);
}

TEST(LogStoreTest, CorruptRecordEndsTheSegment) {
  testing::TempDir dir;
  std::string seg;
  {
    auto store = LogStore::Open(dir.path().string()).value();
    ASSERT_TRUE(store->AppendAndWait(kStream, MakeBatch(1000, 10)).ok());
    seg = SegmentFiles(store->StreamDir(kStream)).at(0);
  }
  auto size = std::filesystem::file_size(seg);
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size - 3));
    f.put('#');
  }
  auto store = LogStore::Open(dir.path().string()).value();
  EXPECT_EQ(store->Read(kStream, StreamQuery{}).value().events.size(), 9u);
}

TEST(LogStoreTest, ExpireDeletesWholeSegmentsPastTheCutoff) {
  testing::TempDir dir;
  auto store = LogStore::Open(dir.path().string()).value();
  const int64_t day = 86400000;
  ASSERT_TRUE(store->AppendAndWait(kStream, MakeBatch(10 * day, 3)).ok());
  ASSERT_TRUE(store->AppendAndWait(kStream, MakeBatch(12 * day, 3)).ok());  // a day later: new segment
  ASSERT_TRUE(store->AppendAndWait(kStream, MakeBatch(14 * day, 3)).ok());
  ASSERT_EQ(SegmentFiles(store->StreamDir(kStream)).size(), 3u);
  ASSERT_TRUE(store->Expire(kStream, 13 * day).ok());
  EXPECT_EQ(SegmentFiles(store->StreamDir(kStream)).size(), 1u);
  EXPECT_EQ(Times(store->Read(kStream, StreamQuery{}).value()).front(), 14 * day);
  ASSERT_TRUE(store->Expire(kStream, 15 * day).ok());  // the open segment goes too
  EXPECT_TRUE(store->Read(kStream, StreamQuery{}).value().events.empty());
  ASSERT_TRUE(store->AppendAndWait(kStream, MakeBatch(16 * day, 1)).ok());
  EXPECT_EQ(store->Read(kStream, StreamQuery{}).value().events.size(), 1u);
}

TEST(LogStoreTest, ConcurrentWritersAllLandAndShareFlushes) {
  testing::TempDir dir;
  auto store = LogStore::Open(dir.path().string()).value();
  std::vector<std::thread> writers;
  for (int w = 0; w < 16; ++w) {
    writers.emplace_back([&, w] {
      StreamId id{"/g", "s" + std::to_string(w % 4)};
      for (int i = 0; i < 20; ++i) ASSERT_TRUE(store->AppendAndWait(id, MakeBatch(1000 + i * 100 + w, 10)).ok());
    });
  }
  for (auto& t : writers) t.join();
  int64_t total = 0;
  for (int s = 0; s < 4; ++s) {
    StreamQuery q;
    q.limit = 100000;
    auto r = store->Read({"/g", "s" + std::to_string(s)}, q).value();
    EXPECT_TRUE(std::is_sorted(r.events.begin(), r.events.end(),
                               [](const auto& a, const auto& b) { return a.position < b.position; }));
    total += static_cast<int64_t>(r.events.size());
  }
  EXPECT_EQ(total, 16 * 20 * 10);
}

TEST(LogStoreTest, FilteredReadsHonourTheScanBudget) {
  testing::TempDir dir;
  auto store = LogStore::Open(dir.path().string()).value();
  for (int b = 0; b < 4; ++b) ASSERT_TRUE(store->AppendAndWait(kStream, MakeBatch(1000 - b * 100, 10)).ok());
  StreamQuery q;
  q.match = [](const StoredEvent& e) { return e.message.ends_with("5"); };
  q.scan_budget = 1;  // one segment per read
  auto r = store->Read(kStream, q).value();
  ASSERT_TRUE(r.frontier);
  EXPECT_EQ(Times(r), std::vector<int64_t>{705});
  q.after = Before(*r.frontier);
  r = store->Read(kStream, q).value();
  EXPECT_EQ(Times(r), std::vector<int64_t>{805});
}

TEST(LogStoreTest, DroppedStreamsLoseTheirEvents) {
  testing::TempDir dir;
  auto store = LogStore::Open(dir.path().string()).value();
  ASSERT_TRUE(store->AppendAndWait(kStream, MakeBatch(1000, 5)).ok());
  ASSERT_TRUE(store->AppendAndWait({kStream.group, "other"}, MakeBatch(1000, 5)).ok());
  ASSERT_TRUE(store->DropStream(kStream).ok());
  EXPECT_FALSE(std::filesystem::exists(store->StreamDir(kStream)));
  EXPECT_TRUE(store->Read(kStream, StreamQuery{}).value().events.empty());
  EXPECT_EQ(store->Read({kStream.group, "other"}, StreamQuery{}).value().events.size(), 5u);
  ASSERT_TRUE(store->DropGroup(kStream.group).ok());
  EXPECT_TRUE(store->Read({kStream.group, "other"}, StreamQuery{}).value().events.empty());
}

}  // namespace
}  // namespace wharf::logs
