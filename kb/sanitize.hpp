// The one sanitizer of text that reaches a terminal: file names, source
// lines, case names, profile texts, rule texts and messages quoting them
// (docs/cli.md, "Text from files on a terminal"). A terminal acts on escape
// sequences (ESC, and the C1 controls such as U+009B CSI), and bidirectional
// controls reorder what is shown (Trojan Source), so such characters are
// shown visibly instead of passed through:
//
//   - C0 controls U+0000-U+001F and DEL U+007F as `\x1b`, `\x7f` (with
//     Layout::Lines, tab and newline are kept; carriage return never is);
//   - C1 controls U+0080-U+009F and the bidirectional controls U+061C,
//     U+200E, U+200F, U+202A-U+202E, U+2066-U+2069 as `\u009b`, `\u202e`;
//   - each byte that is not part of well-formed UTF-8 (a stray byte, an
//     overlong or surrogate encoding, a truncated character) as `\xff`.
//
// The result is valid UTF-8 holding none of the above; text that needs no
// change comes back unchanged, and sanitizing twice changes nothing more.
// A backslash is left as it is, so `\x1b` may also have been written as is.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace advise {

enum class Layout : bool {
  OneLine,  // names and messages: tab and newline are escaped too
  Lines,    // source lines, reports: tab and newline are kept
};

std::string terminal_safe(std::string_view text, Layout layout = Layout::OneLine);

// Appends the safe form of the character (or ill-formed byte) at text[i] to
// `out` and returns how many bytes of `text` it took (at least 1). For
// renderers that keep track of columns while they sanitize.
std::size_t append_terminal_safe(std::string_view text, std::size_t i, std::string& out, Layout layout);

// JSON text as nlohmann writes it (it escapes only U+0000-U+001F), with DEL,
// the C1 controls and the bidirectional controls inside strings written as
// \u escapes too: the same data for every JSON reader, and safe to `cat`.
std::string json_terminal_safe(std::string json);

}  // namespace advise
