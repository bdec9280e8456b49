// The window of rows of a run in input order: a ring of slots, each with the memory of its row's
// answer (private to the batch runner).
#pragma once
#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include "portal/batch/runner.hpp"

namespace portal::batch::detail {

namespace json = boost::json;

// ---------------------------------------------------------------------------------------------
// One row on its way through the run. The main thread owns the window of rows; a worker fills
// in the result of the row it was given and marks it done (the release that publishes the
// result to the main thread, which reads `done` without a lock).
struct Slot {
  std::size_t index = 0;
  std::size_t line = 0;
  std::string ref;
  std::string key;
  json::object record;
  // The memory of the row's answer and result line: the thread that settles the row parses the
  // answer into it and the main thread builds the line from it, so an answer costs no heap
  // allocations, nor frees of one thread's memory by another.
  alignas(std::max_align_t) unsigned char memory_buffer[8192];
  json::monotonic_resource memory{memory_buffer, sizeof memory_buffer};
  RowResult result{.answer = json::object(&memory)};
  // A 2xx answer's body as the portal spelled it, when it is one line and `result.answer` is it
  // parsed (Operation::answer_verbatim): the result line splices it in.
  json::string answer_text{&memory};
  std::string result_json;  // set for rows taken from the journal
  std::atomic<bool> done{false};
  bool journal = false;  // a final answer that goes into the journal

  // Readies a slot an earlier row used for the next one: every field as new, the arena empty.
  void reset() {
    index = 0;
    line = 0;
    ref.clear();
    key.clear();
    record = json::object();
    // Fresh values in the arena first (the old ones let go of it), then the arena is emptied.
    result = RowResult{.answer = json::object(&memory)};
    answer_text = json::string(&memory);
    memory.release();
    result_json.clear();
    done.store(false);
    journal = false;
  }
};

// The window of rows in input order: a ring of slots made once and reused row after row (a slot
// is large, for its arena: made and zeroed per row, it cost a dry run 40 % of its speed).
class Window {
 public:
  explicit Window(std::size_t capacity) : m_slots(new Slot[capacity]), m_capacity(capacity) {}
  bool empty() const { return m_size == 0; }
  std::size_t size() const { return m_size; }
  Slot& operator[](std::size_t i) { return m_slots[(m_head + i) % m_capacity]; }
  Slot& front() { return (*this)[0]; }
  Slot& back() { return (*this)[m_size - 1]; }
  // The next row's slot, reset; the caller makes room first (size() < capacity).
  Slot& emplace_back() {
    Slot& slot = (*this)[m_size++];
    slot.reset();
    return slot;
  }
  void pop_front() {
    m_head = (m_head + 1) % m_capacity;
    --m_size;
  }
  void pop_back() { --m_size; }

 private:
  std::unique_ptr<Slot[]> m_slots;
  std::size_t m_capacity;
  std::size_t m_head = 0;
  std::size_t m_size = 0;
};

}  // namespace portal::batch::detail
