--[[
html_tables.lua: raw HTML tables (great_tables, pandas) -> real pandoc tables, for DOCX/typst.

Quarto does the same: it reads a raw HTML block holding a <table> with pandoc's own HTML
reader (pandoc.read(..., "html")). great_tables' <style> element is dropped, its footnote
marks become superscripts and its gt_left/gt_center/gt_right classes become column
alignments. A captemstats `.cs-table` div (a labelled float) gives its caption and id to the
first table inside it. For typst, images found on the resource path get absolute paths,
because the PDF is compiled with the file-system root as typst's root.

Pandoc's HTML reader keeps a cell's classes and style attribute but not what they mean, so
the journal typesetting great_tables expresses in CSS is carried over here:
* a cell styled `font-weight: bold` (a significant P value) becomes pandoc Strong;
* a stub cell of class gt_indent_N (a category row under its variable) is indented:
  an `#h()` in typst, the paragraph style "Table Text Indent" in DOCX;
* every DOCX cell paragraph gets the style "Table Text" (left, no hyphenation, 9 pt; see
  captemstats/render/docx_reference.py), so body text rules never reach a table;
* columns get widths proportional to their longest cell (label column capped wider than
  the others), since pandoc otherwise writes equal widths and Word breaks words mid-word;
* in typst, metadata marks the first and last row of a captioned table, so header.typ's
  page header can print "Table N (continued)" on the pages a long table continues onto;
* the notes (the table foot) follow a captioned table as small paragraphs, printed once
  (typst: header.typ's cs-table-notes; DOCX: the paragraph style "Table Note").
]]

local function is_html(format)
  return format == "html" or format == "html5" or format == "html4"
end

local ALIGN = { gt_left = "AlignLeft", gt_center = "AlignCenter", gt_right = "AlignRight" }

local function cell_align(cell)
  for _, class in ipairs(cell.attr.classes) do
    if ALIGN[class] then return ALIGN[class] end
  end
  return nil
end

-- Column alignments from the first body row (great_tables marks every cell with its alignment).
local function align_columns(tbl)
  local body = tbl.bodies[1]
  if body == nil or #body.body == 0 then return tbl end
  local cells = body.body[1].cells
  if #cells ~= #tbl.colspecs then return tbl end
  for j, cell in ipairs(cells) do
    local align = cell_align(cell)
    if align then tbl.colspecs[j] = { align, tbl.colspecs[j][2] } end
  end
  return tbl
end

local BOLD = "font%-weight:%s*bold"

local function is_bold(cell)
  local style = cell.attr.attributes["style"]
  return style ~= nil and style:find(BOLD) ~= nil
end

local function indent_level(cell)
  for _, class in ipairs(cell.attr.classes) do
    local n = class:match("^gt_indent_(%d+)$")
    if n then return tonumber(n) end
  end
  return 0
end

local function embolden(blocks)
  return blocks:walk({
    Plain = function(b) return pandoc.Plain({ pandoc.Strong(b.content) }) end,
    Para = function(b) return pandoc.Para({ pandoc.Strong(b.content) }) end,
  })
end

-- Typst: a fixed space before the first line of the cell (0.5 em per great_tables level).
local function typst_indent(blocks, level)
  local done = false
  return blocks:walk({
    Plain = function(b)
      if done then return nil end
      done = true
      local space = pandoc.RawInline("typst", string.format("#h(%.1fem)", 0.5 * level))
      local content = pandoc.Inlines({ space })
      content:extend(b.content)
      return pandoc.Plain(content)
    end,
  })
end

local function format_cell(cell)
  local blocks = cell.contents
  if is_bold(cell) then blocks = embolden(blocks) end
  local level = indent_level(cell)
  if FORMAT == "typst" and level > 0 then
    blocks = typst_indent(blocks, level)
  elseif FORMAT == "docx" then
    -- pandoc's DOCX writer gives a cell's Plain blocks its own "Compact" style; a custom
    -- style reaches only paragraphs (Para) inside a styled Div
    local style = level > 0 and "Table Text Indent" or "Table Text"
    blocks = blocks:walk({ Plain = function(b) return pandoc.Para(b.content) end })
    -- an empty cell still gets a styled (empty) paragraph, else Word sizes it as Normal
    if #blocks == 0 then blocks = pandoc.Blocks({ pandoc.Para({ pandoc.Str("") }) }) end
    blocks = pandoc.Blocks({ pandoc.Div(blocks, { ["custom-style"] = style }) })
  end
  cell.contents = blocks
  return cell
end

local function each_row(tbl, fn)
  for _, row in ipairs(tbl.head.rows) do fn(row, "head") end
  for _, body in ipairs(tbl.bodies) do
    for _, row in ipairs(body.head) do fn(row, "body") end
    for _, row in ipairs(body.body) do fn(row, "body") end
  end
  for _, row in ipairs(tbl.foot.rows) do fn(row, "foot") end
end

local function text_length(s)
  return utf8.len(s) or #s
end

local function longest_word(s)
  local best = 0
  for word in s:gmatch("%S+") do best = math.max(best, text_length(word)) end
  return best
end

-- Relative column widths: each column's longest body cell (headers wrap, so only their
-- longest word counts), in characters, floored so a narrow P column still fits "<.001²",
-- capped so that one long label (which may wrap) does not squeeze the numbers (which
-- must not), plus PAD characters for the cell margins every column has.
local MIN_CHARS, MAX_LABEL, MAX_OTHER, MAX_WORD, PAD = 7, 20, 22, 64, 3.5

local function column_widths(tbl)
  local n = #tbl.colspecs
  local need = {}
  for j = 1, n do need[j] = MIN_CHARS end
  each_row(tbl, function(row, part)
    if part == "foot" or #row.cells ~= n then return end
    for j, cell in ipairs(row.cells) do
      local text = pandoc.utils.stringify(cell.contents)
      local word = longest_word(text)
      local len = part == "head" and word or text_length(text)
      local cap = j == 1 and MAX_LABEL or MAX_OTHER
      -- a word (a SHA-256, a file name) cannot wrap: its column holds it whatever the cap
      need[j] = math.max(need[j], math.min(len, cap), math.min(word, MAX_WORD))
    end
  end)
  local total = 0
  for j = 1, n do
    need[j] = need[j] + PAD
    total = total + need[j]
  end
  for j = 1, n do tbl.colspecs[j] = { tbl.colspecs[j][1], need[j] / total } end
  return tbl
end

local function typeset(tbl)
  tbl = align_columns(tbl)
  each_row(tbl, function(row)
    for i, cell in ipairs(row.cells) do row.cells[i] = format_cell(cell) end
  end)
  if #tbl.colspecs > 1 then tbl = column_widths(tbl) end
  return tbl
end

local cleanup = {
  RawInline = function(el) if is_html(el.format) then return {} end end,
  RawBlock = function(el) if is_html(el.format) then return {} end end,
  Span = function(el)
    if el.classes:includes("gt_footnote_marks") then return pandoc.Superscript(el.content) end
  end,
  Table = typeset,
}

function RawBlock(el)
  if is_html(el.format) and el.text:find("<table") then
    return pandoc.read(el.text, "html").blocks:walk(cleanup)
  end
end

-- Typst: metadata in the caption (where the table starts) and in its last body cell (where
-- it ends), valued with the caption's label ("Table 2"), for header.typ's "(continued)".
local function typst_marker(label, which)
  local value = label:gsub("\\", "\\\\"):gsub('"', '\\"')
  return pandoc.RawInline("typst", string.format('#metadata("%s")<cs-table-%s>', value, which))
end

local function mark_extent(tbl, caption)
  local label = pandoc.utils.stringify(caption):match("^(.-):") or "Table"
  local body = tbl.bodies[#tbl.bodies]
  if body == nil or #body.body == 0 then return end
  local row = body.body[#body.body]
  local cell = row.cells[#row.cells]
  local last = cell.contents[#cell.contents]
  -- inline, at the end of the cell's last line: a paragraph of its own would add space
  if last ~= nil and (last.t == "Plain" or last.t == "Para") then
    last.content:insert(typst_marker(label, "end"))
  else
    cell.contents:insert(pandoc.Plain({ typst_marker(label, "end") }))
  end
  caption:insert(1, typst_marker(label, "start"))
end

-- The table's notes (its foot rows) as paragraphs under the table, as journals print them:
-- in typst inside header.typ's cs-table-notes block, in DOCX in the "Table Note" style.
-- Kept in the table, notes that fall onto the next page come under a repeated header row
-- with no data rows (and LibreOffice's layout of such split tables is fragile).
local function table_notes(tbl)
  local notes = pandoc.Blocks({})
  for _, row in ipairs(tbl.foot.rows) do
    for _, cell in ipairs(row.cells) do
      -- cell text only: format_cell already wrapped DOCX cells in a "Table Text" Div
      local paras = pandoc.Blocks({})
      cell.contents:walk({
        Plain = function(b) paras:insert(pandoc.Para(b.content)) end,
        Para = function(b) paras:insert(pandoc.Para(b.content)) end,
      })
      notes:extend(paras)
    end
  end
  tbl.foot.rows = {}
  if FORMAT == "typst" then
    notes:insert(1, pandoc.RawBlock("typst", "#cs-table-notes["))
    notes:insert(pandoc.RawBlock("typst", "]"))
    return pandoc.Div(notes)
  end
  -- the last note keeps the body text's distance from what follows ("Table Note Last")
  local last = table.remove(notes)
  notes:insert(pandoc.Div({ last }, { ["custom-style"] = "Table Note Last" }))
  return pandoc.Div(notes, { ["custom-style"] = "Table Note" })
end

local function first_table(blocks)
  local found = nil
  blocks:walk({
    Table = function(tbl)
      if found == nil then found = tbl end
    end,
  })
  return found
end

function Div(div)
  if not div.classes:includes("cs-table") then return nil end
  local caption = nil
  local rest = pandoc.Blocks({})
  for _, block in ipairs(div.content) do
    if caption == nil and block.t == "Div" and block.classes:includes("cs-caption") then
      caption = pandoc.utils.blocks_to_inlines(block.content)
    else
      rest:insert(block)
    end
  end
  local tbl = first_table(rest)
  if tbl == nil or caption == nil then return nil end
  if FORMAT == "typst" then mark_extent(tbl, caption) end
  tbl.caption = { long = pandoc.Blocks({ pandoc.Plain(caption) }) }
  tbl.identifier = div.identifier
  if #tbl.foot.rows > 0 then return { tbl, table_notes(tbl) } end
  return tbl
end

function Image(img)
  if FORMAT ~= "typst" or pandoc.path.is_absolute(img.src) or img.src:find("://") then
    return nil
  end
  for _, dir in ipairs(PANDOC_STATE.resource_path) do
    local candidate = pandoc.path.join({ dir, img.src })
    local fh = io.open(candidate, "rb")
    if fh then
      fh:close()
      img.src = candidate
      return img
    end
  end
end

return {
  { RawBlock = RawBlock },
  { Div = Div, Image = Image },
}
