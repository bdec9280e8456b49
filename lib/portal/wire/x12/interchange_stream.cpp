#include "portal/wire/x12/interchange_stream.hpp"

#include <cstdio>
#include <string_view>
#include <type_traits>

namespace portal::wire::x12w {

namespace {

// GS01 and GS08 of the sets of a function.
struct GroupKind {
  std::string_view functional_id, version;
};
GroupKind group_kind(Function f) {
  if (f == Function::eligibility) return {"HS", "005010X279A1"};
  if (f == Function::claim_inquiry) return {"HR", "005010X212"};
  return {"HI", "005010X217"};  // a case: a 278 request for review
}

}  // namespace

InterchangeStream::InterchangeStream(Function function, Options options,
                                     ::x12::ControlNumbers& store)
    : m_function(function), m_options(std::move(options)), m_store(store) {
  if (m_options.sets_per_group == 0 || m_options.sets_per_group > k_max_sets_per_group)
    m_options.sets_per_group = k_max_sets_per_group;
}

Expected<::x12::Writer> InterchangeStream::new_writer() const {
  ::x12::WriterOptions wo;
  wo.newline_after_segment = m_options.newline_after_segment;
  ::x12::Writer w(wo);
  ::x12::InterchangeHeader h;
  h.sender_id = m_options.parties.sender_id;
  h.receiver_id = m_options.receiver_id;
  h.usage = m_options.parties.usage;
  h.time = m_options.time;
  const GroupKind kind = group_kind(m_function);
  w.begin_interchange(h, m_isa13);
  w.begin_group(kind.functional_id, m_options.parties.sender_id, m_options.receiver_id,
                kind.version, m_gs06);
  if (!w.status()) {
    return fail(ErrorKind::usage,
                "the X12 envelope cannot be written: " + ::x12::to_string(w.status().error()));
  }
  return w;
}

Expected<void> InterchangeStream::make_writer() {
  auto w = new_writer();
  if (!w) return fail(w.error());
  m_writer.emplace(std::move(*w));
  return {};
}

Expected<void> InterchangeStream::open_group() {
  const bool first = m_groups == 0;
  if (!first) close_group();
  auto block = m_store.reserve(first ? 1 : 0, 1, 0);
  if (!block) {
    return fail(ErrorKind::unavailable,
                "cannot reserve X12 control numbers: " + ::x12::to_string(block.error()));
  }
  if (first) m_isa13 = block->interchange;
  m_gs06 = block->group;
  if (auto made = make_writer(); !made) return made;
  if (first && m_options.templates &&
      (m_function == Function::eligibility || m_function == Function::claim_inquiry)) {
    // A set's text does not depend on its group: the templates serve every group.
    auto make = [this] {
      auto w = new_writer();  // made once just above: the same again
      return w ? std::move(*w) : ::x12::Writer();
    };
    m_templates.emplace(m_function == Function::eligibility ? SetTemplates::for_270(make)
                                                            : SetTemplates::for_276(make));
  }
  std::string& head = m_writer->out();
  if (first) {
    m_out += head;
  } else {
    // Only the GS: the interchange's ISA was written with the first group.
    const std::size_t isa_end = head.find(m_writer->options().delimiters.segment);
    std::size_t gs = isa_end + 1;
    while (gs < head.size() && (head[gs] == '\n' || head[gs] == '\r')) ++gs;
    m_out.append(head, gs);
  }
  head.clear();
  ++m_groups;
  m_st02 = 0;
  return {};
}

void InterchangeStream::close_group() {
  // The writer that would count them may have been remade after a refused set: GE and IEA are
  // written here from the counts kept.
  const auto& d = m_writer->options().delimiters;
  const std::string_view end = m_options.newline_after_segment ? "\n" : "";
  char line[64];
  int n = std::snprintf(line, sizeof line, "GE%c%u%c%u%c", d.element, m_st02, d.element, m_gs06,
                        d.segment);
  m_out.append(line, static_cast<std::size_t>(n));
  m_out += end;
}

template <typename Inquiry, typename Write>
Expected<std::optional<::x12::Error>> InterchangeStream::add_set(const Inquiry& inquiry,
                                                                 Write write) {
  if (m_finished) return fail(ErrorKind::internal, "a set was added after the interchange ended");
  if (m_groups == 0 || m_st02 >= m_options.sets_per_group) {
    if (auto opened = open_group(); !opened) return fail(opened.error());
  }
  auto fast = templated(inquiry, write);
  if (!fast) return fail(fast.error());
  if (*fast) {
    ++m_st02;
    ++m_sets;
    return std::optional<::x12::Error>();
  }
  write(*m_writer, m_st02 + 1, inquiry);
  if (!m_writer->status()) {
    ::x12::Error refusal = m_writer->status().error();
    // The writer keeps its first problem: a new one goes on with the same group.
    if (auto made = make_writer(); !made) return fail(made.error());
    m_writer->out().clear();
    return std::optional<::x12::Error>(std::move(refusal));
  }
  m_out += m_writer->out();
  m_writer->out().clear();
  ++m_st02;
  ++m_sets;
  return std::optional<::x12::Error>();
}

template <typename Inquiry, typename Write>
Expected<bool> InterchangeStream::templated(const Inquiry& inquiry, Write write) {
  if constexpr (std::is_same_v<Inquiry, ::x12::ServiceReview>) {
    return false;  // 278s vary too much for a template: the writer writes each
  } else {
    return templated_set(inquiry, write);
  }
}

template <typename Inquiry, typename Write>
Expected<bool> InterchangeStream::templated_set(const Inquiry& inquiry, Write write) {
  if (!m_templates) return false;
  const std::size_t mark = m_out.size();
  if (!m_templates->write(inquiry, m_st02 + 1, m_out)) return false;
  if (!m_options.verify_templates) return true;
  write(*m_writer, m_st02 + 1, inquiry);
  const bool same = m_writer->status() &&
                    std::string_view(m_writer->out()) == std::string_view(m_out).substr(mark);
  if (!m_writer->status()) {
    if (auto made = make_writer(); !made) return fail(made.error());
  }
  m_writer->out().clear();
  if (!same) {
    return fail(ErrorKind::internal,
                "the set built from its template differs from the X12 writer's (ST02 " +
                    std::to_string(m_st02 + 1) + ")",
                "please report it; build with templates off meanwhile");
  }
  return true;
}

Expected<std::optional<::x12::Error>> InterchangeStream::add(
    const ::x12::EligibilityInquiry& inquiry) {
  return add_set(inquiry, [](::x12::Writer& w, std::uint32_t st02,
                             const ::x12::EligibilityInquiry& q) { ::x12::write_270(w, st02, q); });
}

Expected<std::optional<::x12::Error>> InterchangeStream::add(const ::x12::ClaimInquiry& inquiry) {
  return add_set(inquiry, [](::x12::Writer& w, std::uint32_t st02, const ::x12::ClaimInquiry& q) {
    ::x12::write_276(w, st02, q);
  });
}

Expected<std::optional<::x12::Error>> InterchangeStream::add(const ::x12::ServiceReview& review) {
  return add_set(review, [](::x12::Writer& w, std::uint32_t st02, const ::x12::ServiceReview& r) {
    ::x12::write_278(w, st02, r);
  });
}

void InterchangeStream::finish() {
  if (m_finished || m_groups == 0) {
    m_finished = true;
    return;
  }
  m_finished = true;
  close_group();
  const auto& d = m_writer->options().delimiters;
  char line[64];
  int n = std::snprintf(line, sizeof line, "IEA%c%zu%c%09u%c", d.element, m_groups, d.element,
                        m_isa13, d.segment);
  m_out.append(line, static_cast<std::size_t>(n));
  if (m_options.newline_after_segment) m_out += '\n';
}

}  // namespace portal::wire::x12w
