// The one sanitizer of text bound for a terminal (kb/sanitize.hpp): each
// class of character it escapes, what it keeps, and the JSON variant.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "kb/sanitize.hpp"

using namespace advise;

TEST_CASE("terminal_safe keeps printable text as it is", "[sanitize]") {
  CHECK(terminal_safe("") == "");
  CHECK(terminal_safe("rules/step5.rules:12") == "rules/step5.rules:12");
  CHECK(terminal_safe("na\xC3\xAFve caf\xC3\xA9 \xE2\x80\x94 \xF0\x9F\x99\x82") ==
        "na\xC3\xAFve caf\xC3\xA9 \xE2\x80\x94 \xF0\x9F\x99\x82");
  CHECK(terminal_safe("a\\x1b") == "a\\x1b");  // a backslash is not escaped
  // U+00A0 and U+2028 are not controls a terminal acts on.
  CHECK(terminal_safe("\xC2\xA0\xE2\x80\xA8") == "\xC2\xA0\xE2\x80\xA8");
}

TEST_CASE("terminal_safe shows C0 controls and DEL as \\x escapes", "[sanitize]") {
  CHECK(terminal_safe("a\x1b[31mred") == "a\\x1b[31mred");
  CHECK(terminal_safe(std::string("a\0b", 3)) == "a\\x00b");
  CHECK(terminal_safe("bell\x07") == "bell\\x07");
  CHECK(terminal_safe("x\x7fy") == "x\\x7fy");
  CHECK(terminal_safe("over\rwrite") == "over\\x0dwrite");
  CHECK(terminal_safe("\x1f") == "\\x1f");
}

TEST_CASE("terminal_safe escapes tab and newline in one-line text only", "[sanitize]") {
  CHECK(terminal_safe("a\tb\nc") == "a\\x09b\\x0ac");
  CHECK(terminal_safe("a\tb\nc", Layout::Lines) == "a\tb\nc");
  CHECK(terminal_safe("a\r\nb", Layout::Lines) == "a\\x0d\nb");
  CHECK(terminal_safe("\x1b]0;title\x07", Layout::Lines) == "\\x1b]0;title\\x07");
}

TEST_CASE("terminal_safe shows C1 controls as \\u escapes", "[sanitize]") {
  CHECK(terminal_safe("a\xC2\x9B" "31mred") == "a\\u009b31mred");  // U+009B CSI
  CHECK(terminal_safe("\xC2\x80") == "\\u0080");
  CHECK(terminal_safe("\xC2\x9F") == "\\u009f");
  CHECK(terminal_safe("\xC2\x9D" "0;x\xC2\x9C") == "\\u009d0;x\\u009c");  // OSC ... ST
}

TEST_CASE("terminal_safe shows bidirectional controls as \\u escapes", "[sanitize]") {
  CHECK(terminal_safe("\xE2\x80\xAE" "txt.exe") == "\\u202etxt.exe");  // RLO
  CHECK(terminal_safe("\xE2\x80\xAA\xE2\x80\xAB\xE2\x80\xAC\xE2\x80\xAD") == "\\u202a\\u202b\\u202c\\u202d");
  CHECK(terminal_safe("\xE2\x81\xA6\xE2\x81\xA7\xE2\x81\xA8\xE2\x81\xA9") == "\\u2066\\u2067\\u2068\\u2069");
  CHECK(terminal_safe("\xE2\x80\x8E\xE2\x80\x8F\xD8\x9C") == "\\u200e\\u200f\\u061c");
}

TEST_CASE("terminal_safe shows each ill-formed UTF-8 byte as a \\x escape", "[sanitize]") {
  CHECK(terminal_safe("caf\xE9!") == "caf\\xe9!");                      // Latin-1
  CHECK(terminal_safe("\xFF\xFE") == "\\xff\\xfe");                      // a UTF-16 byte-order mark
  CHECK(terminal_safe("\xC0\xAF") == "\\xc0\\xaf");                      // overlong `/`
  CHECK(terminal_safe("\xE0\x80\xAF") == "\\xe0\\x80\\xaf");             // overlong, 3 bytes
  CHECK(terminal_safe("\xED\xA0\x80") == "\\xed\\xa0\\x80");             // a surrogate
  CHECK(terminal_safe("\xF4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");    // past U+10FFFF
  CHECK(terminal_safe("\xE2\x82") == "\\xe2\\x82");                      // truncated at the end
  CHECK(terminal_safe("\xE2\x82x") == "\\xe2\\x82x");                    // truncated in the middle
  CHECK(terminal_safe("\x80") == "\\x80");                               // a lone continuation byte
}

TEST_CASE("terminal_safe is idempotent and its output is safe", "[sanitize]") {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  all += "\xC2\x9B\xE2\x80\xAE\xE2\x81\xA9";
  std::string once = terminal_safe(all);
  CHECK(terminal_safe(once) == once);
  for (char c : once) {
    auto u = static_cast<unsigned char>(c);
    CHECK(u >= 0x20);
    CHECK(u < 0x7F);  // everything above ASCII in `all` was ill-formed or a control
  }
  CHECK(terminal_safe(once, Layout::Lines) == once);
}

TEST_CASE("append_terminal_safe takes one character at a time", "[sanitize]") {
  std::string out;
  std::string_view s = "\xC3\xA9\x1b\xFF";
  CHECK(append_terminal_safe(s, 0, out, Layout::OneLine) == 2);
  CHECK(append_terminal_safe(s, 2, out, Layout::OneLine) == 1);
  CHECK(append_terminal_safe(s, 3, out, Layout::OneLine) == 1);
  CHECK(out == "\xC3\xA9\\x1b\\xff");
}

TEST_CASE("json_terminal_safe escapes DEL, C1 and bidi controls inside JSON strings", "[sanitize]") {
  nlohmann::json j = {{"name", "a\x1b" "b\x7f" "c\xC2\x9B" "d\xE2\x80\xAE" "e\xC3\xA9"}};
  std::string dumped = j.dump();
  CHECK(dumped == "{\"name\":\"a\\u001bb\x7f" "c\xC2\x9B" "d\xE2\x80\xAE" "e\xC3\xA9\"}");  // nlohmann alone
  std::string safe = json_terminal_safe(dumped);
  CHECK(safe == "{\"name\":\"a\\u001bb\\u007fc\\u009bd\\u202ee\xC3\xA9\"}");
  CHECK(nlohmann::json::parse(safe) == j);  // the same data
  CHECK(json_terminal_safe("{\"a\":1}") == "{\"a\":1}");
}
