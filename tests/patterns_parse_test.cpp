// The PEGTL parser on templates, patterns over facts, aggregates and fact
// actions (docs/grammar.md, "Notes that bind both parsers"): whole ASTs,
// locations included, and the exact messages of likely mistakes.
#include <catch2/catch.hpp>

#include "dsl/parser.hpp"
#include "dsl/x3/differential.hpp"

using namespace advise;

namespace {

// The AST of `text` as x3p::dump shows it (every node, every location), or
// the diagnostics when there are any.
std::string ast_of(const std::string& text) {
  SourceManager sm;
  Diagnostics d;
  auto id = sm.add("t.rules", text);
  ast::File f = parse_source(sm, id, d);
  return d.all().empty() ? x3p::dump(f) : render_text(sm, d);
}

std::string errors(const std::string& text) {
  SourceManager sm;
  Diagnostics d;
  auto id = sm.add("t.rules", text);
  parse_source(sm, id, d);
  return render_text(sm, d);
}

}  // namespace

TEST_CASE("patterns parse: a template: a description, a set of values, `optional`, a range, and a field named `optional`", "[patterns]") {
  CHECK(ast_of("template letter \"a letter\"\n  writer: text\n  strength: {weak, strong} optional\n  grade: integer 1..5\n  optional: boolean\nend\n") == R"-(file 0
template@0:0-123 "letter"@0:9-15
  description(1) text@0:16-26 "a letter"
  field@0:29-41 "writer"@0:29-35 type "text"@0:37-41 optional=0 has_range=0
  field@0:44-77 "strength"@0:44-52 type ""@0:0-0 optional=1 has_range=0
    values
      Set@0:54-68
        Name@0:55-59 "weak"
        Name@0:61-67 "strong"
  field@0:80-99 "grade"@0:80-85 type "integer"@0:87-94 optional=0 has_range=1
    range
      Range@0:95-99
        Number@0:95-96 "1" #1
        Number@0:98-99 "5" #5
  field@0:102-119 "optional"@0:102-110 type "boolean"@0:112-119 optional=0 has_range=0
)-");
}

TEST_CASE("patterns parse: a strategy", "[patterns]") {
  CHECK(ast_of("strategy mea\n") == R"-(file 0
strategy@0:0-12 "mea"@0:9-12
)-");
}

TEST_CASE("patterns parse: `logical`, `for each` with `where` running to the end of the `and` chain, `create` and `remove`", "[patterns]") {
  CHECK(ast_of("rule r logical when for each letter l where l.strong and l.grade > 2 then create summary with n = 1, m = l remove l end\n") == R"-(file 0
rule@0:0-119 "r"@0:5-6
  clause logical@0:7-14 value@0:7-14 ""
  when
    ForEach@0:20-68 #1
      Name@0:29-35 "letter"
      Name@0:36-37 "l"
      And@0:44-68
        Member@0:44-52 "strong"
          Name@0:44-45 "l"
        Compare@0:57-68 ">"
          Member@0:57-64 "grade"
            Name@0:57-58 "l"
          Number@0:67-68 "2" #2
  action 6@0:74-106
    id "summary"@0:81-88
    field@0:94-99 "n"@0:94-95
      Number@0:98-99 "1" #1
    field@0:101-106 "m"@0:101-102
      Name@0:105-106 "l"
    has_text=0 text@0:0-0
  action 8@0:107-115
    id "l"@0:114-115
    has_text=0 text@0:0-0
)-");
}

TEST_CASE("patterns parse: `there is no` and `change`", "[patterns]") {
  CHECK(ast_of("if there is no letter l where l.strong and x then change x with a = 1\n") == R"-(file 0
short-rule@0:0-69 ""@0:0-0
  when
    NotExists@0:3-44 #1
      Name@0:15-21 "letter"
      Name@0:22-23 "l"
      And@0:30-44
        Member@0:30-38 "strong"
          Name@0:30-31 "l"
        Name@0:43-44 "x"
  action 7@0:50-69
    id "x"@0:57-58
    field@0:64-69 "a"@0:64-65
      Number@0:68-69 "1" #1
    has_text=0 text@0:0-0
)-");
}

TEST_CASE("patterns parse: `there is an` without `where`", "[patterns]") {
  CHECK(ast_of("if there is an letter l then remove l\n") == R"-(file 0
short-rule@0:0-37 ""@0:0-0
  when
    Exists@0:3-23 "an"
      Name@0:15-21 "letter"
      Name@0:22-23 "l"
  action 8@0:29-37
    id "l"@0:36-37
    has_text=0 text@0:0-0
)-");
}

TEST_CASE("patterns parse: `every ... where ... has ...`: `has` takes one test, `and` goes on outside", "[patterns]") {
  CHECK(ast_of("if every letter l where l.a has l.b > 1 and c then note \"x\"\n") == R"-(file 0
short-rule@0:0-59 ""@0:0-0
  when
    And@0:3-45
      Every@0:3-39 #1
        Name@0:9-15 "letter"
        Name@0:16-17 "l"
        Member@0:24-27 "a"
          Name@0:24-25 "l"
        Compare@0:32-39 ">"
          Member@0:32-35 "b"
            Name@0:32-33 "l"
          Number@0:38-39 "1" #1
      Name@0:44-45 "c"
  action 3@0:51-59
    has_text=1 text@0:56-59 "x"
)-");
}

TEST_CASE("patterns parse: aggregates: a parenthesised count compared, and a sum (its value last)", "[patterns]") {
  CHECK(ast_of("if (the number of letter l where l.strong) >= 3 and the sum of l.grade for each letter l where l.ok > 2 then note \"x\"\n") == R"-(file 0
short-rule@0:0-117 ""@0:0-0
  when
    And@0:4-103
      Compare@0:4-47 ">="
        Aggregate@0:4-41 "count" #1
          Name@0:18-24 "letter"
          Name@0:25-26 "l"
          Member@0:33-41 "strong"
            Name@0:33-34 "l"
        Number@0:46-47 "3" #3
      Aggregate@0:52-103 "sum" #1
        Name@0:80-86 "letter"
        Name@0:87-88 "l"
        Compare@0:95-103 ">"
          Member@0:95-99 "ok"
            Name@0:95-96 "l"
          Number@0:102-103 "2" #2
        Member@0:63-70 "grade"
          Name@0:63-64 "l"
  action 3@0:109-117
    has_text=1 text@0:114-117 "x"
)-");
}

TEST_CASE("patterns parse: an aggregate without `where` compares without parentheses", "[patterns]") {
  CHECK(ast_of("if the number of letter l > 3 then create x\n") == R"-(file 0
short-rule@0:0-43 ""@0:0-0
  when
    Compare@0:3-29 ">"
      Aggregate@0:3-25 "count"
        Name@0:17-23 "letter"
        Name@0:24-25 "l"
      Number@0:28-29 "3" #3
  action 6@0:35-43
    id "x"@0:42-43
    has_text=0 text@0:0-0
)-");
}

TEST_CASE("patterns parse: the messages of likely mistakes", "[patterns]") {
  CHECK(errors("if for each program where p.x then note \"x\"\n") ==
        R"-(t.rules:1:21: error: expected a name for the matched `program` after `program` (as in `for each program p where ...`), found `where` [syntax-error]
  if for each program where p.x then note "x"
                      ^~~~~
)-");
  CHECK(errors("if there is a program where p.x then note \"x\"\n") ==
        R"-(t.rules:1:23: error: expected a name for the matched `program` after `program` (as in `there is a program p where ...`), found `where` [syntax-error]
  if there is a program where p.x then note "x"
                        ^~~~~
)-");
  CHECK(errors("if every letter where p.x has y then note \"x\"\n") ==
        R"-(t.rules:1:17: error: expected a name for the matched `letter` after `letter` (as in `every letter l where ... has ...`), found `where` [syntax-error]
  if every letter where p.x has y then note "x"
                  ^~~~~
)-");
  CHECK(errors("if the number of letter where p.x then note \"x\"\n") ==
        R"-(t.rules:1:25: error: expected a name for the matched `letter` after `letter` (as in `the number of letter l where ...`), found `where` [syntax-error]
  if the number of letter where p.x then note "x"
                          ^~~~~
)-");
  CHECK(errors("if the sum of l.x for each letter where p.x then note \"x\"\n") ==
        R"-(t.rules:1:35: error: expected a name for the matched `letter` after `letter` (as in `the ... of l.FIELD for each letter l`), found `where` [syntax-error]
  if the sum of l.x for each letter where p.x then note "x"
                                    ^~~~~
)-");
  CHECK(errors("if the number of letter l where l.grade > 2 >= 3 then note \"x\"\n") ==
        R"-(t.rules:1:45: error: comparisons do not chain, and an aggregate's `where` runs to the end of its condition; to compare the aggregate, put it in parentheses: `(the number of letter l where ...) >= ...` [syntax-error]
  if the number of letter l where l.grade > 2 >= 3 then note "x"
                                              ^~
)-");
  CHECK(errors("if the number of letter l where l.grade > 2 and l.a >= 3 < 4 then note \"x\"\n") ==
        R"-(t.rules:1:58: error: comparisons do not chain, and an aggregate's `where` runs to the end of its condition; to compare the aggregate, put it in parentheses: `(the number of letter l where ...) < ...` [syntax-error]
  if the number of letter l where l.grade > 2 and l.a >= 3 < 4 then note "x"
                                                           ^
)-");
  CHECK(errors("if there is program p then note \"x\"\n") ==
        R"-(t.rules:1:13: error: expected `a`, `an` or `no` after `there is`, found `program` [syntax-error]
  if there is program p then note "x"
              ^~~~~~~
)-");
  CHECK(errors("if there are letters then note \"x\"\n") ==
        R"-(t.rules:1:10: error: expected `is` after `there` (as in `there is a T x`), found `are` [syntax-error]
  if there are letters then note "x"
           ^~~
)-");
  CHECK(errors("if for letter l then note \"x\"\n") ==
        R"-(t.rules:1:8: error: expected `each` after `for`, found `letter` [syntax-error]
  if for letter l then note "x"
         ^~~~~~
)-");
  CHECK(errors("if every letter l where l.a then note \"x\"\n") ==
        R"-(t.rules:1:29: error: expected `has` (as in `every T x where C has D`), found `then` [syntax-error]
  if every letter l where l.a then note "x"
                              ^~~~
)-");
  CHECK(errors("if x then create letter with strong true\n") ==
        R"-(t.rules:1:37: error: expected `=` after the field name (as in `FIELD = VALUE`), found `true` [syntax-error]
  if x then create letter with strong true
                                      ^~~~
)-");
  CHECK(errors("if x then create letter strong = true\n") ==
        R"-(t.rules:1:25: error: expected `with` before the fields (as in `create T with FIELD = VALUE`), found `strong` [syntax-error]
  if x then create letter strong = true
                          ^~~~~~
)-");
  CHECK(errors("if x then change l strong = true\n") ==
        R"-(t.rules:1:20: error: expected `with` (as in `change x with FIELD = VALUE`), found `strong` [syntax-error]
  if x then change l strong = true
                     ^~~~~~
)-");
  CHECK(errors("if x then remove\n") ==
        R"-(t.rules:1:17: error: expected the name of a matched fact (as in `for each T x`), found the end of the file [syntax-error]
  if x then remove
                  ^
)-");
  CHECK(errors("if x then create letter with\n") ==
        R"-(t.rules:1:29: error: expected a field name (as in `FIELD = VALUE`), found the end of the file [syntax-error]
  if x then create letter with
                              ^
)-");
  CHECK(errors("if for each rule r then note \"x\"\n") ==
        R"-(t.rules:1:13: error: `rule` is a reserved word and cannot be a template name [reserved-word]
  if for each rule r then note "x"
              ^~~~
)-");
  CHECK(errors("if for each letter where then note \"x\"\n") ==
        R"-(t.rules:1:20: error: expected a name for the matched `letter` after `letter` (as in `for each letter l where ...`), found `where` [syntax-error]
  if for each letter where then note "x"
                     ^~~~~
)-");
  CHECK(errors("if the sum of l.x each letter l then note \"x\"\n") ==
        R"-(t.rules:1:19: error: expected `for each` after the value (as in `the sum of x.amount for each T x`), found `each` [syntax-error]
  if the sum of l.x each letter l then note "x"
                    ^~~~
)-");
  CHECK(errors("template letter\n  strong boolean\nend\n") ==
        R"-(t.rules:2:10: error: expected `:` after the field name (as in `grade: number`), found `boolean` [syntax-error]
    strong boolean
           ^~~~~~~
)-");
  CHECK(errors("template letter\n  strong: \nend\n") ==
        R"-(t.rules:3:1: error: expected a type (a type name like `number`, or a set of values like `{low, high}`), found `end` [syntax-error]
  end
  ^~~
)-");
  CHECK(errors("template letter\n  strong: boolean\n") ==
        R"-(t.rules:2:18: error: expected a field (`NAME: TYPE`) or `end`, found the end of the file [syntax-error]
    strong: boolean
                   ^
)-");
  CHECK(errors("template letter\n  grade: integer 1..\nend\n") ==
        R"-(t.rules:3:1: error: expected the range's upper bound: a number or a name, found `end` [syntax-error]
  end
  ^~~
)-");
  CHECK(errors("template letter\n  s: {a, }\nend\n") ==
        R"-(t.rules:2:10: error: expected a value name, found `}` [syntax-error]
    s: {a, }
           ^
)-");
  CHECK(errors("strategy\n") ==
        R"-(t.rules:1:9: error: expected a strategy: `depth`, `breadth`, `lex`, `mea` or `advise`, found the end of the file [syntax-error]
  strategy
          ^
)-");
  CHECK(errors("rule r logicl when x then note \"x\" end\n") ==
        R"-(t.rules:1:8: error: expected `when`, `source`, `priority`, `category`, `stages` or `logical`, found `logicl`; did you mean `logical`? [syntax-error]
  rule r logicl when x then note "x" end
         ^~~~~~
)-");
  CHECK(errors("rule r when x then creat letter end\n") ==
        R"-(t.rules:1:20: error: expected an action (`set`, `add`, `recommend`, `note`, `warn`, `cite`, `create`, `change`, `remove`) or `end`, found `creat`; did you mean `create`? [syntax-error]
  rule r when x then creat letter end
                     ^~~~~
)-");
}

TEST_CASE("patterns parse: contextual words are names where no pattern or clause expects them", "[patterns]") {
  CHECK(ast_of("if the > a and no == an and of then set sum = average + minimum\n") == R"-(file 0
short-rule@0:0-63 ""@0:0-0
  when
    And@0:3-30
      And@0:3-23
        Compare@0:3-10 ">"
          Name@0:3-6 "the"
          Name@0:9-10 "a"
        Compare@0:15-23 "=="
          Name@0:15-17 "no"
          Name@0:21-23 "an"
      Name@0:28-30 "of"
  action 0@0:36-63
    target
      Name@0:40-43 "sum"
    value
      Arith@0:46-63 "+"
        Name@0:46-53 "average"
        Name@0:56-63 "minimum"
    has_text=0 text@0:0-0
)-");
}

TEST_CASE("patterns parse: nested patterns and aggregates are bounded by the nesting limit", "[patterns]") {
  auto deep = [](const std::string& open, int n) {
    std::string text = "if ";
    for (int i = 0; i < n; ++i) text += open;
    return text + "x then note \"x\"\n";
  };
  for (const std::string open : {"for each t v where ", "there is no t v where ", "every t v has ",
                                 "the number of t v where ", "the sum of v.x for each t v where "}) {
    INFO(open);
    SourceManager sm;
    Diagnostics d;
    parse_source(sm, sm.add("t.rules", deep(open, 100)), d);
    CHECK(d.all().empty());
    Diagnostics d2;
    parse_source(sm, sm.add("u.rules", deep(open, 10000)), d2);
    REQUIRE(d2.all().size() == 1);
    CHECK(kind_info(d2.all()[0].kind).name == "nesting-too-deep");
  }
}

TEST_CASE("patterns parse: `strategy NAME` after a recommendation is the strategy item, not the id", "[patterns]") {
  CHECK(ast_of("if a then recommend dual\nstrategy mea\nif b then recommend c strategy: \"t\"\n") == R"-(file 0
short-rule@0:0-24 ""@0:0-0
  when
    Name@0:3-4 "a"
  action 2@0:10-24
    category ""@0:0-0 id "dual"@0:20-24
    has_text=0 text@0:0-0
strategy@0:25-37 "mea"@0:34-37
short-rule@0:38-73 ""@0:0-0
  when
    Name@0:41-42 "b"
  action 2@0:48-73
    category "c"@0:58-59 id "strategy"@0:60-68
    has_text=1 text@0:70-73 "t"
)-");
}

TEST_CASE("patterns parse: recovery does not restart at a line that starts with the name `strategy`", "[patterns]") {
  CHECK(errors("const c = [1 *\nstrategy and x\n") ==
        "t.rules:2:15: error: expected `,` or `]` to close the list, found the end of the file [syntax-error]\n"
        "  strategy and x\n"
        "                ^\n");
  CHECK(errors("rule r when x < then note \"x\" end\nstrategy mea\nstrategy\n") ==
        "t.rules:1:17: error: expected a value, found `then` [syntax-error]\n"
        "  rule r when x < then note \"x\" end\n"
        "                  ^~~~\n"
        "t.rules:3:9: error: expected a strategy: `depth`, `breadth`, `lex`, `mea` or `advise`, found the end of "
        "the file [syntax-error]\n"
        "  strategy\n"
        "          ^\n");
}
