#include "tests/support/program_gen.hpp"

#include <algorithm>
#include <array>

namespace advise::testgen {
namespace {

bool ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
bool digit(char c) { return c >= '0' && c <= '9'; }

// Names that start or end like reserved words, so that keyword boundaries
// are exercised (`order` is a name, not `or` + `der`), and ordinary ones.
constexpr std::array kNames = {
    "order",   "android", "notable", "iffy",     "ending",   "torque",      "island",  "input",
    "isa",     "note_",   "settle",  "address",  "cited",    "rules",       "whence",  "thence",
    "sourced", "grouped", "constant", "aliases", "included", "contains2",   "betweenness",
    "missing_", "presently", "true_", "falsehood", "warned",  "recommended", "priority_x",
    "category1", "x",      "_",       "a1",       "Step2",    "specialty",   "step2ck", "_tmp",
    "Z",       "ever_present", "notmissing", "band", "color", "cannot", "betweenx", "min",     "count",   "len",      "nbme_practice", "target_specialty", "figures"};

constexpr std::array kKeywords = {"include", "group", "const",    "alias", "rule",      "if",   "when",  "then",
                                  "end",     "source", "priority", "category", "set",   "add",  "to",    "recommend",
                                  "note",    "warn",  "cite",     "and",   "or",        "not",  "is",    "in",
                                  "contains", "between", "missing", "present", "true",   "false",
                                  "for",     "each",  "there",    "where", "every",     "has",  "with",  "template",
                                  "create",  "change", "remove"};
// Words that are keywords only where the grammar expects them.
constexpr std::array kContextual = {"strategy", "logical", "optional", "a",       "an",      "no",     "the",
                                    "number",   "of",      "sum",      "minimum", "maximum", "average"};

constexpr std::array kPunct = {"(", ")", "[", "]", "{", "}", ",", ".", "..", ":", "=", "==", "!=",
                               "<", "<=", ">", ">=", "+", "-", "*", "/", "@", "!", "&&", "$", ";"};

// Splits a program into tokens and the blanks between them (blank runs and
// comments are their own pieces), so that mutations can work on tokens.
std::vector<std::string> pieces(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = i + 1;
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      while (j < s.size() && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r' || s[j] == '\n')) ++j;
    } else if (c == '#') {
      while (j < s.size() && s[j] != '\n') ++j;
    } else if (ident_char(c)) {
      while (j < s.size() && (ident_char(s[j]) || (digit(c) && s[j] == '.' && j + 1 < s.size() && digit(s[j + 1]))))
        ++j;
    } else if (c == '"') {
      while (j < s.size() && s[j] != '"' && s[j] != '\n') j += (s[j] == '\\' && j + 1 < s.size()) ? 2 : 1;
      if (j < s.size() && s[j] == '"') ++j;
    } else if (j < s.size() && std::string_view("<>=!.").find(c) != std::string_view::npos &&
               (s[j] == '=' || (c == '.' && s[j] == '.'))) {
      ++j;
    }
    out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

bool is_blank_piece(const std::string& p) {
  return !p.empty() && (p[0] == ' ' || p[0] == '\t' || p[0] == '\r' || p[0] == '\n' || p[0] == '#');
}

}  // namespace

ProgramGen::ProgramGen(std::uint64_t seed, GenOptions opts) : rng_(seed), opts_(opts) {}

int ProgramGen::pick(int n) { return static_cast<int>(rng_() % static_cast<std::uint64_t>(n)); }
bool ProgramGen::chance(int percent) { return pick(100) < percent; }

std::string ProgramGen::ident() {
  if (opts_.facts && chance(5)) return kContextual[static_cast<std::size_t>(pick(static_cast<int>(kContextual.size())))];
  if (chance(70)) return kNames[static_cast<std::size_t>(pick(static_cast<int>(kNames.size())))];
  static constexpr std::string_view first = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";
  static constexpr std::string_view rest = "abcdefghijklmnopqrstuvwxyz_0123456789";
  std::string s(1, first[static_cast<std::size_t>(pick(static_cast<int>(first.size())))]);
  int n = pick(9);
  for (int i = 0; i < n; ++i) s += rest[static_cast<std::size_t>(pick(static_cast<int>(rest.size())))];
  // A random word may be reserved: keep it a name.
  if (std::find(kKeywords.begin(), kKeywords.end(), s) != kKeywords.end()) s += "_";
  return s;
}

std::string ProgramGen::number() {
  switch (pick(10)) {
    case 0: return "0";
    case 1: return "007";
    case 2: return "3.14";
    case 3: return "0.5";
    case 4: return "250";
    case 5: {  // long: rounding, and sometimes out of double range
      std::string s(static_cast<std::size_t>(1 + pick(chance(10) ? 400 : 30)), '9');
      s[0] = static_cast<char>('1' + pick(9));
      if (chance(50)) s += ".0000000000000000000001";
      return s;
    }
    default: {
      std::string s = std::to_string(pick(1000));
      if (chance(30)) {
        s += '.';
        s += std::to_string(pick(100));
      }
      return s;
    }
  }
}

std::string ProgramGen::string_lit() {
  static constexpr std::array parts = {"Step 2.1", " ",  "\\\"", "\\\\", "\\n", "\\t", "# not a comment",
                                       "{step2ck}", "a", "word", "'",   "--", "...", ":"};
  static constexpr std::array unicode = {"é", "日本", "—", "✓"};
  std::string s = "\"";
  int n = pick(5);
  for (int i = 0; i < n; ++i) {
    if (opts_.unicode && chance(10))
      s += unicode[static_cast<std::size_t>(pick(static_cast<int>(unicode.size())))];
    else
      s += parts[static_cast<std::size_t>(pick(static_cast<int>(parts.size())))];
  }
  return s + "\"";
}

std::string ProgramGen::comment_text() {
  static constexpr std::array texts = {"#", "# a comment", "#--- section ---", "# \"quoted\" and or not",
                                       "#no space", "# trailing \\", "## double"};
  std::string s = texts[static_cast<std::size_t>(pick(static_cast<int>(texts.size())))];
  if (opts_.unicode && chance(10)) s += " — é";
  return s;
}

void ProgramGen::text(Toks& out) {
  int n = 1 + (chance(25) ? 1 + pick(2) : 0);
  for (int i = 0; i < n; ++i) out.push_back({string_lit()});
}

// ---- expressions: one function per production of docs/grammar.md

void ProgramGen::expr(Toks& out, int depth) { or_expr(out, depth); }

void ProgramGen::or_expr(Toks& out, int depth) {
  and_expr(out, depth);
  while (chance(8 + 3 * depth)) {
    out.push_back({"or"});
    and_expr(out, depth - 1);
  }
}

void ProgramGen::and_expr(Toks& out, int depth) {
  not_expr(out, depth);
  while (chance(10 + 3 * depth)) {
    out.push_back({"and"});
    not_expr(out, depth - 1);
  }
}

void ProgramGen::not_expr(Toks& out, int depth) {
  if (opts_.facts && depth > 0 && chance(6)) {
    pattern(out, depth);
    return;
  }
  if (depth > 0 && chance(10)) {
    out.push_back({"not"});
    not_expr(out, depth - 1);
    return;
  }
  test(out, depth);
}

void ProgramGen::test(Toks& out, int depth) {
  range(out, depth);
  if (chance(40)) return;
  switch (pick(6)) {
    case 0: {
      static constexpr std::array ops = {"<", "<=", ">", ">=", "==", "!="};
      out.push_back({ops[static_cast<std::size_t>(pick(6))]});
      range(out, depth - 1);
      break;
    }
    case 1:
      out.push_back({"is"});
      if (chance(50)) out.push_back({"not"});
      out.push_back({chance(50) ? "missing" : "present"});
      break;
    case 2:
      out.push_back({"is"});
      if (chance(50)) out.push_back({"not"});
      range(out, depth - 1);
      break;
    case 3:
      if (chance(40)) out.push_back({"not"});
      out.push_back({"in"});
      range(out, depth - 1);
      break;
    case 4:
      if (chance(40)) out.push_back({"not"});
      out.push_back({"contains"});
      range(out, depth - 1);
      break;
    default:
      out.push_back({"between"});
      range(out, depth - 1);
      out.push_back({"and"});
      range(out, depth - 1);
      break;
  }
}

void ProgramGen::range(Toks& out, int depth) {
  sum(out, depth);
  if (chance(10)) {
    out.push_back({".."});
    sum(out, depth - 1);
  }
}

void ProgramGen::sum(Toks& out, int depth) {
  product(out, depth);
  while (chance(10 + 2 * depth)) {
    out.push_back({chance(50) ? "+" : "-"});
    product(out, depth - 1);
  }
}

void ProgramGen::product(Toks& out, int depth) {
  unary(out, depth);
  while (chance(8 + 2 * depth)) {
    out.push_back({chance(50) ? "*" : "/"});
    unary(out, depth - 1);
  }
}

void ProgramGen::unary(Toks& out, int depth) {
  if (depth > 0 && chance(10)) {
    out.push_back({"-"});
    unary(out, depth - 1);
    return;
  }
  postfix(out, depth);
}

void ProgramGen::postfix(Toks& out, int depth) {
  primary(out, depth);
  while (depth > 0 && chance(15)) {
    if (chance(60)) {
      out.push_back({"."});
      out.push_back({ident()});
    } else {
      out.push_back({"["});
      expr(out, depth - 1);
      out.push_back({"]"});
    }
  }
}

void ProgramGen::items(Toks& out, int depth) {
  int n = pick(4);
  for (int i = 0; i < n; ++i) {
    if (i) out.push_back({","});
    expr(out, depth);
  }
}

// binding <- ident ident
void ProgramGen::binding(Toks& out) {
  out.push_back({ident()});
  out.push_back({ident()});
}

// pattern <- for each B where? / there is (a / an / no) B where? / every B where? has not
void ProgramGen::pattern(Toks& out, int depth) {
  int kind = pick(3);
  if (kind == 0) {
    out.push_back({"for"});
    out.push_back({"each"});
  } else if (kind == 1) {
    static constexpr std::array articles = {"a", "an", "no"};
    out.push_back({"there"});
    out.push_back({"is"});
    out.push_back({articles[static_cast<std::size_t>(pick(3))]});
  } else {
    out.push_back({"every"});
  }
  binding(out);
  if (chance(70)) {
    out.push_back({"where"});
    and_expr(out, depth - 1);
  }
  if (kind == 2) {
    out.push_back({"has"});
    not_expr(out, depth - 1);
  }
}

// aggregate <- the number of B where? / the (sum / minimum / maximum / average) of sum for each B where?
// With `where`, parenthesised: a comparison after it would chain with the
// where's last test (docs/grammar.md).
void ProgramGen::aggregate(Toks& out, int depth) {
  bool where = chance(60);
  if (where) out.push_back({"("});
  out.push_back({"the"});
  if (chance(50)) {
    out.push_back({"number"});
    out.push_back({"of"});
  } else {
    static constexpr std::array fns = {"sum", "minimum", "maximum", "average"};
    out.push_back({fns[static_cast<std::size_t>(pick(4))]});
    out.push_back({"of"});
    sum(out, depth - 1);
    out.push_back({"for"});
    out.push_back({"each"});
  }
  binding(out);
  if (where) {
    out.push_back({"where"});
    and_expr(out, depth - 1);
    out.push_back({")"});
  }
}

void ProgramGen::primary(Toks& out, int depth) {
  if (opts_.facts && depth > 0 && chance(5)) {
    aggregate(out, depth);
    return;
  }
  int choice = depth > 0 ? pick(10) : pick(5);
  switch (choice) {
    case 0: out.push_back({number()}); break;
    case 1:
      if (opts_.multi_string_values)
        text(out);
      else
        out.push_back({string_lit()});
      break;
    case 2: out.push_back({chance(50) ? "true" : "false"}); break;
    case 3:
    case 4: out.push_back({ident()}); break;
    case 5:
    case 6:
      out.push_back({ident()});
      out.push_back({"("});
      items(out, depth - 1);
      out.push_back({")"});
      break;
    case 7:
      out.push_back({"["});
      items(out, depth - 1);
      out.push_back({"]"});
      break;
    case 8:
      out.push_back({"{"});
      items(out, depth - 1);
      out.push_back({"}"});
      break;
    default:
      out.push_back({"("});
      expr(out, depth - 1);
      out.push_back({")"});
      break;
  }
}

// ---- actions and items

void ProgramGen::target(Toks& out, int depth) {
  out.push_back({ident()});
  if (chance(30)) {
    out.push_back({"["});
    expr(out, depth - 1);
    out.push_back({"]"});
  }
}

// field_init (',' field_init)*
void ProgramGen::fields(Toks& out, int depth) {
  int n = 1 + pick(3);
  for (int i = 0; i < n; ++i) {
    if (i) out.push_back({","});
    out.push_back({ident()});
    out.push_back({"="});
    expr(out, depth);
  }
}

void ProgramGen::action(Toks& out) {
  int d = pick(opts_.max_depth + 1);
  switch (pick(opts_.facts ? 9 : 6)) {
    case 6:
      out.push_back({"create"});
      out.push_back({ident()});
      if (chance(70)) {
        out.push_back({"with"});
        fields(out, d);
      }
      break;
    case 7:
      out.push_back({"change"});
      out.push_back({ident()});
      out.push_back({"with"});
      fields(out, d);
      break;
    case 8:
      out.push_back({"remove"});
      out.push_back({ident()});
      break;
    case 0:
      out.push_back({"set"});
      target(out, d);
      out.push_back({"="});
      expr(out, d);
      break;
    case 1:
      out.push_back({"add"});
      expr(out, d);
      out.push_back({"to"});
      target(out, d);
      break;
    case 2:
      out.push_back({"recommend"});
      out.push_back({ident()});
      if (chance(50)) out.push_back({ident()});
      if (chance(60)) {
        out.push_back({":"});
        text(out);
      }
      break;
    case 3:
      out.push_back({"note"});
      text(out);
      break;
    case 4:
      out.push_back({"warn"});
      text(out);
      break;
    default:
      out.push_back({"cite"});
      expr(out, d);
      break;
  }
}

// template <- template ident text? field_decl* end
void ProgramGen::template_item(Toks& out) {
  out.push_back({"template"});
  out.push_back({ident()});
  if (chance(50)) text(out);
  int n = pick(5);
  for (int i = 0; i < n; ++i) {
    out.push_back({ident()});
    out.push_back({":"});
    switch (pick(3)) {
      case 0: out.push_back({ident()}); break;
      case 1:
        out.push_back({ident()});
        out.push_back({chance(50) ? std::to_string(pick(10)) : ident()});
        out.push_back({".."});
        out.push_back({chance(50) ? std::to_string(pick(1000)) : ident()});
        break;
      default: {
        out.push_back({"{"});
        int k = pick(4);
        for (int j = 0; j < k; ++j) {
          if (j) out.push_back({","});
          out.push_back({ident()});
        }
        out.push_back({"}"});
        break;
      }
    }
    if (chance(30)) out.push_back({"optional"});
  }
  out.push_back({"end"});
}

void ProgramGen::item(Toks& out, int kind) {
  int d = pick(opts_.max_depth + 1);
  if (kind < 0) kind = pick(opts_.facts ? 12 : 10);
  switch (kind) {
    case 10: template_item(out); break;
    case 11: {
      static constexpr std::array strategies = {"depth", "breadth", "lex", "mea", "advise"};
      out.push_back({"strategy"});
      out.push_back({strategies[static_cast<std::size_t>(pick(5))]});
      break;
    }
    case 0: out.push_back({"include"}); out.push_back({string_lit()}); break;
    case 1:
    case 2: {
      static constexpr std::array kws = {"group", "const", "alias"};
      out.push_back({kws[static_cast<std::size_t>(pick(3))]});
      out.push_back({ident()});
      out.push_back({"="});
      expr(out, d);
      break;
    }
    case 3:
    case 4: {
      out.push_back({"if"});
      expr(out, d);
      out.push_back({"then"});
      int n = 1 + pick(opts_.max_actions);
      for (int i = 0; i < n; ++i) action(out);
      break;
    }
    default: {
      out.push_back({"rule"});
      out.push_back({ident()});
      if (chance(70)) text(out);
      int clauses = pick(4);
      for (int i = 0; i < clauses; ++i) {
        switch (pick(opts_.facts ? 4 : 3)) {
          case 3: out.push_back({"logical"}); break;
          case 0: out.push_back({"source"}); text(out); break;
          case 1: {
            out.push_back({"priority"});
            std::string value = chance(30) ? "-" : "";
            value += std::to_string(pick(100));
            out.push_back({value});
            break;
          }
          default: out.push_back({"category"}); out.push_back({ident()}); break;
        }
      }
      out.push_back({"when"});
      expr(out, d);
      out.push_back({"then"});
      int n = pick(opts_.max_actions + 1);
      for (int i = 0; i < n; ++i) action(out);
      out.push_back({"end"});
      break;
    }
  }
}

// ---- layout

std::string ProgramGen::blank(bool required) {
  int c = pick(100);
  if (!required && c < 25) return "";
  if (c < 60) return " ";
  if (c < 70) return "\n";
  if (c < 75) return "\n  ";
  if (c < 80) return "\t";
  if (opts_.crlf && c < 84) return "\r\n";
  if (opts_.comments && c < 94) {
    std::string eol = opts_.crlf && chance(30) ? "\r\n" : "\n";
    std::string b = chance(50) ? " " : "";
    b += comment_text();
    b += eol;
    if (chance(50)) b += "  ";
    return b;
  }
  return "   ";
}

std::string ProgramGen::join(const Toks& toks) {
  std::string out;
  if (chance(30)) out += blank(false);
  for (std::size_t i = 0; i < toks.size(); ++i) {
    const std::string& t = toks[i].text;
    if (i > 0) {
      char a = out.empty() ? ' ' : out.back();
      char b = t.front();
      bool required = false;
      if (ident_char(a) && ident_char(b)) {
        // Two words, or a word and a number, would read as one token.
        const std::string& prev = toks[i - 1].text;
        bool prev_number = !prev.empty() && digit(prev.front()) && prev.back() != '_';
        required = !(opts_.glued_number_word && prev_number && !digit(b));
      }
      if (std::string_view("<>=!").find(a) != std::string_view::npos && b == '=') required = true;
      if (a == '.' && b == '.') required = true;
      // `1` followed by `.5`-like spellings cannot occur; `-` `5` is Neg(5) either way.
      out += blank(required);
    }
    out += t;
  }
  if (chance(40)) out += blank(false);
  if (opts_.comments && chance(15)) {
    if (!out.empty() && out.back() != '\n') out += '\n';
    out += comment_text();
  }
  return out;
}

std::string ProgramGen::program() {
  Toks toks;
  int n = 1 + pick(std::max(1, opts_.max_items));
  for (int i = 0; i < n; ++i) item(toks);
  return join(toks);
}

std::string ProgramGen::expression() {
  Toks toks;
  expr(toks, opts_.max_depth);
  std::string s = join(toks);
  // join() may add blanks and a comment around; an expression is trimmed.
  return s;
}

std::string ProgramGen::nested(int depth, int kind) {
  static constexpr std::array<std::pair<const char*, const char*>, 7> forms = {{{"(", ")"},
                                                                                {"[", "]"},
                                                                                {"{", "}"},
                                                                                {"f(", ")"},
                                                                                {"not ", ""},
                                                                                {"- ", ""},
                                                                                {"a[", "]"}}};
  const auto& [open, close] = forms[static_cast<std::size_t>(kind) % forms.size()];
  std::string s;
  for (int i = 0; i < depth; ++i) s += open;
  s += "x";
  for (int i = 0; i < depth; ++i) s += close;
  return s;
}

std::string ProgramGen::mutate(std::string_view valid) {
  std::vector<std::string> ps = pieces(valid);
  auto vocab = [&]() -> std::string {
    switch (pick(9)) {
      case 0:
        if (opts_.facts && chance(30))
          return kContextual[static_cast<std::size_t>(pick(static_cast<int>(kContextual.size())))];
        return kKeywords[static_cast<std::size_t>(pick(static_cast<int>(kKeywords.size())))];
      case 1: return kPunct[static_cast<std::size_t>(pick(static_cast<int>(kPunct.size())))];
      case 2: return ident();
      case 3: return number();
      case 4: return string_lit();
      case 5: return chance(50) ? "\"unterminated\n" : "\"bad \\q escape\"";
      case 6: {  // around the nesting limit (arguments are read in a fixed order)
        int depth = 250 + pick(20);
        return nested(depth, pick(7));
      }
      case 7: return std::string(1, static_cast<char>(pick(256)));
      default: return chance(50) ? "5and" : "#";
    }
  };
  auto token_index = [&]() -> std::size_t {
    std::vector<std::size_t> idx;
    for (std::size_t i = 0; i < ps.size(); ++i)
      if (!is_blank_piece(ps[i])) idx.push_back(i);
    if (idx.empty()) return ps.size();
    return idx[static_cast<std::size_t>(pick(static_cast<int>(idx.size())))];
  };
  int rounds = 1 + (chance(30) ? pick(3) : 0);
  for (int r = 0; r < rounds; ++r) {
    std::size_t i = token_index();
    switch (pick(9)) {
      case 0:  // delete a token
        if (i < ps.size()) ps.erase(ps.begin() + static_cast<long>(i));
        break;
      case 1:  // duplicate a token
        if (i < ps.size()) ps.insert(ps.begin() + static_cast<long>(i), {ps[i], " "});
        break;
      case 2: {  // swap with the next token
        std::size_t j = i + 1;
        while (j < ps.size() && is_blank_piece(ps[j])) ++j;
        if (j < ps.size()) std::swap(ps[i], ps[j]);
        break;
      }
      case 3:  // insert a token
        ps.insert(ps.begin() + static_cast<long>(std::min(i, ps.size())), {" ", vocab(), " "});
        break;
      case 4:  // replace a token
        if (i < ps.size()) ps[i] = vocab();
        break;
      case 5: {  // glue: remove the blank after a token
        if (i + 1 < ps.size() && is_blank_piece(ps[i + 1]) && ps[i + 1][0] != '#') ps.erase(ps.begin() + static_cast<long>(i + 1));
        break;
      }
      default: {  // byte level: truncate, flip or insert a byte
        std::string s;
        for (const std::string& p : ps) s += p;
        if (s.empty()) break;
        std::size_t at = static_cast<std::size_t>(pick(static_cast<int>(s.size())));
        int how = pick(3);
        if (how == 0) {
          s.resize(at);
        } else if (how == 1) {
          s[at] = static_cast<char>(s[at] ^ (1 << pick(8)));
        } else {
          // 22 bytes and the terminating NUL, which is inserted too.
          static constexpr char kBytes[] = "\"\\#()[]{}.,=<>!-\n\r\t \x80\xff";
          s.insert(at, 1, kBytes[pick(static_cast<int>(sizeof kBytes))]);
        }
        ps = pieces(s);
        break;
      }
    }
  }
  std::string out;
  for (const std::string& p : ps) out += p;
  return out;
}

std::string large_program(std::size_t rules, std::uint64_t seed) {
  GenOptions o;
  o.max_depth = 3;
  o.max_actions = 3;
  o.unicode = false;
  o.facts = false;  // the benchmark's programs as they were
  ProgramGen g(seed, o);
  std::string out;
  for (std::size_t i = 0; i < rules; ++i) {
    out += g.item_text(i % 10 == 0 ? 1 : i % 10 == 5 ? 3 : 5);
    out += "\n\n";
  }
  return out;
}

std::string ProgramGen::item_text(int kind) {
  Toks toks;
  item(toks, kind);
  return join(toks);
}

}  // namespace advise::testgen
