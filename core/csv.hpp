#pragma once
// Writing CSV for spreadsheets (RFC 4180): UTF-8 with a byte order mark so
// that Excel shows Vietnamese correctly, CRLF line ends, quoted cells where
// needed.

#include <initializer_list>
#include <string>
#include <string_view>

namespace kho {

inline constexpr std::string_view csv_bom = "\xEF\xBB\xBF";

// Appends one cell, quoted when it holds a comma, quote or line break.
void append_csv_cell(std::string& out, std::string_view value);

// Appends a cell of text that came from users (titles, names): like
// append_csv_cell, but a cell that a spreadsheet would run as a formula
// (starting with = + - @, tab or CR) gets a leading apostrophe.
void append_csv_text(std::string& out, std::string_view value);

// Appends a row of cells (append_csv_text each) and CRLF.
void append_csv_row(std::string& out, std::initializer_list<std::string_view> cells);

}  // namespace kho
