// Where a JSON text first breaks the grammar (RFC 8259), and what to say
// about it. The readers of JSON (the knowledge base, profiles, fact files)
// parse with nlohmann; when it stops on a syntax error, the place and the
// words come from this scanner of our own, never from nlohmann's message
// text, so that one mistake reads the same in every file and a new nlohmann
// cannot change a message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace advise {

struct JsonSyntaxError {
  // What the grammar expected where the text broke.
  enum class Context : std::uint8_t {
    Value,            // a value: a text, number, true, false, null, list or object
    ObjectKey,        // a field name, after `{` or `,`
    ObjectSeparator,  // `:` after a field name
    Object,           // `,` or `}` after a field's value
    Array,            // `,` or `]` after a list item
    AfterEnd,         // nothing: the document is complete
  };
  enum class Problem : std::uint8_t {
    EndOfInput,      // the text ends first
    UnclosedString,  // a text in double quotes runs to the end
    IllFormedUtf8,   // in a text in double quotes
    BadString,       // a control character or a bad escape in a text (detail says which)
    InvalidLiteral,  // a word that is not true, false or null, or a character no token starts with
    InvalidNumber,   // detail says what was expected
    Unexpected,      // a whole token the grammar does not allow here
  };
  Context context = Context::Value;
  Problem problem = Problem::Unexpected;
  // The last byte read: the offending byte (strings, numbers, literals), or
  // the last byte of the offending token (a string's closing quote).
  std::size_t last_read = 0;
  std::string detail;
};

// The first syntax error of `text` (a UTF-8 byte-order mark at its start is
// skipped), or nothing when it is one well-formed JSON document.
std::optional<JsonSyntaxError> find_json_syntax_error(std::string_view text);

// What to say about it: the byte offset the message points at, and the
// message (without the "invalid JSON: " its callers put first). `one_document`
// ends the message about text after a complete document ("a profile is one
// object").
struct JsonSyntaxMessage {
  std::size_t offset = 0;
  std::string message;
};
JsonSyntaxMessage describe_json_syntax_error(const std::string& text, const JsonSyntaxError& e,
                                             std::string_view one_document);

// The token that starts at or ends at `at` (a string's closing quote, the
// last character of a word or number): where it starts.
std::size_t json_token_start(const std::string& text, std::size_t at);
// A character of a JSON word or number as the scanner reads one (letters,
// digits, `+`, `-`, `.`, `_`).
bool json_literal_char(char c);

}  // namespace advise
