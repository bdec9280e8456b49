# Writes OUT: a C++ file defining portal::records::embedded_schemas() from every DIR/*.schema.json.
file(GLOB files ${DIR}/*.schema.json)
list(SORT files)
set(arrays "")
set(entries "")
set(i 0)
foreach(f IN LISTS files)
  get_filename_component(name ${f} NAME)
  string(REPLACE ".schema.json" "" name ${name})
  file(READ ${f} content HEX)
  string(LENGTH "${content}" hexlen)
  math(EXPR len "${hexlen} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," content "${content}")
  string(APPEND arrays "const char k_schema_${i}[] = {${content}0};\n")
  string(APPEND entries "      {\"${name}\", std::string_view(k_schema_${i}, ${len})},\n")
  math(EXPR i "${i} + 1")
endforeach()
file(WRITE ${OUT}.tmp "// Generated from schemas/*.schema.json by cmake/embed_schemas.cmake. Do not edit.
#include <map>
#include <string>
#include <string_view>
namespace portal::records {
namespace {
${arrays}}  // namespace
const std::map<std::string, std::string_view>& embedded_schemas() {
  static const std::map<std::string, std::string_view> k_schemas = {
${entries}  };
  return k_schemas;
}
}  // namespace portal::records
")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
