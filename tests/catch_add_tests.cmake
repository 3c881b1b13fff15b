# Replaces the script of Catch2 v2's catch_discover_tests (Catch.cmake), which
# runs after each build of a test executable and writes one ctest test per
# Catch test case. Catch's own CatchAddTests.cmake turns the names into a CMake
# list, which splits a name at `;` (several of our names hold one), does not
# escape `\` (a name holds `\r\n`), and passes a name starting with `-` as it
# is (Catch then reads it as an option), so those cases would not run. This
# one keeps each name whole and quotes it for Catch's test-spec parser;
# tests/CMakeLists.txt also passes `--warn NoTests`, so that a name that still
# selected nothing would fail instead of passing silently.
#
# Inputs (-D, as Catch.cmake passes them): TEST_EXECUTABLE, TEST_EXECUTOR,
# TEST_WORKING_DIR, TEST_SPEC, TEST_EXTRA_ARGS, TEST_PROPERTIES, TEST_PREFIX,
# TEST_SUFFIX, TEST_LIST, CTEST_FILE. The reporter and output options of
# catch_discover_tests are not supported.

if(NOT EXISTS "${TEST_EXECUTABLE}")
  message(FATAL_ERROR "no test executable `${TEST_EXECUTABLE}`")
endif()
execute_process(
  COMMAND ${TEST_EXECUTOR} "${TEST_EXECUTABLE}" ${TEST_SPEC} --list-test-names-only
  OUTPUT_VARIABLE output
  RESULT_VARIABLE result
  WORKING_DIRECTORY "${TEST_WORKING_DIR}")
# Catch exits with the number of test cases listed (at most 255), so only a
# crash or a failure to start is an error.
if(NOT result MATCHES "^[0-9]+$")
  message(FATAL_ERROR "listing the tests of `${TEST_EXECUTABLE}` failed: ${result}\n${output}")
endif()

# A bracket argument with a delimiter no name contains, for the generated file.
function(advise_bracket out value)
  set(eq "=")
  while(value MATCHES "]${eq}]")
    string(APPEND eq "=")
  endwhile()
  set(${out} "[${eq}[${value}]${eq}]" PARENT_SCOPE)
endfunction()

set(extra "")
foreach(arg IN LISTS TEST_EXTRA_ARGS)
  advise_bracket(quoted "${arg}")
  string(APPEND extra " ${quoted}")
endforeach()
set(properties "")
foreach(p IN LISTS TEST_PROPERTIES)
  advise_bracket(quoted "${p}")
  string(APPEND properties " ${quoted}")
endforeach()
advise_bracket(exe "${TEST_EXECUTABLE}")
advise_bracket(dir "${TEST_WORKING_DIR}")
set(executor "")
foreach(arg IN LISTS TEST_EXECUTOR)
  advise_bracket(quoted "${arg}")
  string(APPEND executor " ${quoted}")
endforeach()

# One name a line. The output is cut with string(FIND), not turned into a CMake
# list: a list would split a name at `;` and join lines across a `[`.
set(script "")
set(count 0)
while(NOT output STREQUAL "")
  string(FIND "${output}" "\n" eol)
  if(eol EQUAL -1)
    set(name "${output}")
    set(output "")
  else()
    string(SUBSTRING "${output}" 0 ${eol} name)
    math(EXPR next "${eol} + 1")
    string(SUBSTRING "${output}" ${next} -1 output)
  endif()
  if(name STREQUAL "")
    continue()
  endif()
  # The test spec that selects exactly this case: the name in double quotes
  # (so that a name starting with `-` is not read as an option, nor `[` as a
  # tag), with `\`, `,` and `"` escaped by a backslash (see Catch's
  # TestSpecParser).
  set(spec "${name}")
  foreach(c "\\" "," "\"")
    string(REPLACE "${c}" "\\${c}" spec "${spec}")
  endforeach()
  set(spec "\"${spec}\"")
  advise_bracket(test_name "${TEST_PREFIX}${name}${TEST_SUFFIX}")
  advise_bracket(test_spec "${spec}")
  string(APPEND script "add_test(${test_name}${executor} ${exe} ${test_spec}${extra})\n")
  string(APPEND script "set_tests_properties(${test_name} PROPERTIES WORKING_DIRECTORY ${dir}${properties})\n")
  math(EXPR count "${count} + 1")
endwhile()
if(count EQUAL 0)
  message(FATAL_ERROR "`${TEST_EXECUTABLE}` lists no test case")
endif()
file(WRITE "${CTEST_FILE}" "${script}")
