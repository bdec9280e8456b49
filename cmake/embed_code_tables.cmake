# Writes OUT: a C++ file defining x12::codes::detail::embedded_tables() from every DIR/*.tsv (the
# X12 code lists of data/x12/), each as its file name without .tsv and its bytes, so lib/x12 reads
# the tables without any file at run time.
file(GLOB files ${DIR}/*.tsv)
list(SORT files)
set(arrays "")
set(entries "")
set(i 0)
foreach(f IN LISTS files)
  get_filename_component(name ${f} NAME_WE)
  file(READ ${f} content HEX)
  string(LENGTH "${content}" hexlen)
  math(EXPR len "${hexlen} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," content "${content}")
  string(APPEND arrays "const char k_table_${i}[] = {${content}0};\n")
  string(APPEND entries "      {\"${name}\", std::string_view(k_table_${i}, ${len})},\n")
  math(EXPR i "${i} + 1")
endforeach()
file(WRITE ${OUT}.tmp "// Generated from data/x12/*.tsv by cmake/embed_code_tables.cmake. Do not edit.
#include <span>
#include <string_view>
#include <utility>
namespace x12::codes::detail {
namespace {
${arrays}const std::pair<std::string_view, std::string_view> k_tables[] = {
${entries}};
}  // namespace
std::span<const std::pair<std::string_view, std::string_view>> embedded_tables() {
  return k_tables;
}
}  // namespace x12::codes::detail
")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
