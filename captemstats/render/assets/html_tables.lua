--[[
html_tables.lua: raw HTML tables (great_tables, pandas) -> real pandoc tables, for DOCX/typst.

Quarto does the same: it reads a raw HTML block holding a <table> with pandoc's own HTML
reader (pandoc.read(..., "html")). great_tables' <style> element is dropped, its footnote
marks become superscripts and its gt_left/gt_center/gt_right classes become column
alignments. A captemstats `.cs-table` div (a labelled float) gives its caption and id to the
first table inside it. For typst, images found on the resource path get absolute paths,
because the PDF is compiled with the file-system root as typst's root.
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

local cleanup = {
  RawInline = function(el) if is_html(el.format) then return {} end end,
  RawBlock = function(el) if is_html(el.format) then return {} end end,
  Span = function(el)
    if el.classes:includes("gt_footnote_marks") then return pandoc.Superscript(el.content) end
  end,
  Table = align_columns,
}

function RawBlock(el)
  if is_html(el.format) and el.text:find("<table") then
    return pandoc.read(el.text, "html").blocks:walk(cleanup)
  end
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
  tbl.caption = { long = pandoc.Blocks({ pandoc.Plain(caption) }) }
  tbl.identifier = div.identifier
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
