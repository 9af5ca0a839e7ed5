#pragma once
// The unit tree as CSV (RFC 4180), the format the Ministry's staff keep the
// list of units in, edited in Excel or LibreOffice.
//
// Import accepts:
//  - UTF-8 with or without a byte order mark ("CSV UTF-8" in Excel writes one);
//  - CRLF, LF or CR line ends;
//  - quoted fields with commas, doubled quotes ("") and line breaks; a line
//    break inside name or province (Alt+Enter in Excel) becomes a space;
//  - a header row naming the columns case-insensitively, in any order: code
//    and name are required; parent_code, province and level are optional
//    (absent means empty). Any other column, or a column named twice, is an
//    error on the header's line and nothing else is checked.
// Blank lines and rows whose fields are all empty are skipped.
//
// Export writes a byte order mark (so that Excel on Windows reads the file as
// UTF-8 and shows Vietnamese correctly), the header
// `code,name,parent_code,province,level`, CRLF line ends, and quotes the
// fields that need it. parse_units_csv(format_units_csv(units)) gives the
// units back (without their times).

#include "core/unit.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kho {

// A file with more data rows than this is rejected with one error.
inline constexpr std::size_t max_csv_rows = 100'000;
// Parsing stops after this many errors; when it stops early, one more entry
// (at the line where it stopped) says so.
inline constexpr std::size_t max_csv_errors = 1000;

struct unit_csv_row {
    std::size_t line;  // where the record starts, 1-based (the header is line 1)
    unit u;            // validated; times are zero
};

struct csv_row_error {
    std::size_t line;     // where the record starts, 1-based
    std::string message;  // an English sentence naming the column and the value
};

struct units_csv_parse {
    std::vector<unit_csv_row> rows;     // the rows without errors, in file order
    std::vector<csv_row_error> errors;  // in file order
};

// Parses and validates every row (kho::validate, parse_education_level, one
// code per file) and keeps going after a bad row so that all of them are
// reported. It does not check the tree (parents, roots, cycles): that needs
// the units already stored, see storage::unit_store::import_csv.
units_csv_parse parse_units_csv(std::string_view text);

// The units in the given order, as described above.
std::string format_units_csv(const std::vector<unit>& units);

}  // namespace kho
