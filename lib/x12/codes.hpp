// The code lists a provider office meets in X12 answers, as data: AAA reject reasons and
// follow-up actions (271/278), claim status categories, claim status codes and entity codes
// (277 STC01), claim adjustment reason codes with their group codes, and remark codes (835).
// The tables are data/x12/*.tsv, compiled in by cmake/embed_code_tables.cmake; each code says
// what it means, what to do, which record field to correct and whether sending again can help.
// (The IK3/IK4/TA1 codes of acknowledgements are in ack.hpp.)
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace x12::codes {

// The lists, each one data/x12/<file>.tsv.
enum class List { aaa, aaa_follow_up, stc_category, stc_status, entity, carc, carc_group, rarc };

// Whether sending again can help: none (nothing to send again: information, a status),
// fix (correct the data the code names, then send again), later (nothing to correct: the same
// request is sent again later with backoff, as after a 503), never (do not send it again).
enum class Retry { none, fix, later, never };

// One code of a list. The views point into the tables compiled in: valid for the whole program.
struct Code {
  std::string_view list_name;  // the list's name list_named() reads ("AAA", "STC", "CARC"...)
  std::string_view code;       // "75", "A7", "N130"
  std::string_view title;      // the list's own name for the code
  std::string_view meaning;    // what it means, in plain English for a provider office
  std::string_view action;     // what to do about it
  // The record field to correct (member_id, date_of_birth, first_name/last_name, provider_npi,
  // service_date, health_plan), or "" when the code names none of them.
  std::string_view field;
  Retry retry;
};

// The code `code` of `list` (letters in any case), or nullptr when the list has no such code.
const Code* find(List list, std::string_view code);

// The list a name designates, in any case: "AAA" (also "AAA03"), "AAA04", "STC" (the categories;
// also "CATEGORY"), "STATUS" (also "STC-STATUS"), "ENTITY", "CARC" (also "CAS"), "GROUP" (also
// "CARC-GROUP"), "RARC"; nullopt for anything else.
std::optional<List> list_named(std::string_view name);

// Every code of `list`, in the table's order.
std::span<const Code> all(List list);

// What a list is, for listings and help texts.
struct ListInfo {
  List list;
  std::string_view name;     // canonical name, as in Code::list_name ("AAA")
  std::string_view element;  // where it travels ("AAA03", "STC01-1", "CAS02")
  std::string_view title;    // "AAA03 reject reason codes (element 901)"
};

// The lists in enum order.
std::span<const ListInfo> lists();
// The ListInfo of `list`.
const ListInfo& info(List list);

// "none", "fix", "later" or "never".
std::string_view retry_name(Retry retry);

namespace detail {
// What was wrong in the tables compiled in (a row without six columns, an unknown retry class or
// field, a duplicate code, a table missing): empty when they are sound. For the unit tests.
const std::vector<std::string>& table_problems();
}  // namespace detail

}  // namespace x12::codes
