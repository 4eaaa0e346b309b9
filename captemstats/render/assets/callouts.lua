--[[
callouts.lua: Quarto callouts (::: {.callout-note|tip|warning|important|caution}) as titled boxes.

Quarto draws a callout as a box with a title: the `title` attribute, else the callout's first
heading, else the type's name. This filter does the same in each output of the built-in renderer:
HTML gets a <div class="callout callout-TYPE"> with a title bar (styled by render.css), typst a
#block with a coloured left rule, DOCX the paragraph styles "Callout Title" and "Callout Text"
(bordered and shaded, defined in the reference document the renderer builds).
]]

local TITLES = {
  note = "Note", tip = "Tip", warning = "Warning", important = "Important", caution = "Caution",
}
local COLOURS = {
  note = "#0758e5", tip = "#00a047", warning = "#ffa600", important = "#cc1914", caution = "#fc5300",
}

local function callout_kind(div)
  for _, class in ipairs(div.classes) do
    local kind = class:match("^callout%-(%a+)$")
    if kind and TITLES[kind] then return kind end
  end
  return nil
end

local function title_and_body(div, kind)
  local body = pandoc.Blocks({})
  local title = nil
  if div.attributes["title"] then
    title = pandoc.read(div.attributes["title"], "markdown").blocks[1]
    title = title and title.content or pandoc.Inlines({})
  end
  for i, block in ipairs(div.content) do
    if title == nil and i == 1 and block.t == "Header" then
      title = block.content
    else
      body:insert(block)
    end
  end
  return title or pandoc.Inlines({ pandoc.Str(TITLES[kind]) }), body
end

local function typst(blocks)
  return pandoc.write(pandoc.Pandoc(blocks), "typst")
end

function Div(div)
  local kind = callout_kind(div)
  if kind == nil then return nil end
  local title, body = title_and_body(div, kind)
  if FORMAT:match("html") then
    return pandoc.Div({
      pandoc.Div({ pandoc.Plain(title) }, { class = "callout-title" }),
      pandoc.Div(body, { class = "callout-body" }),
    }, { id = div.identifier, class = "callout callout-" .. kind })
  elseif FORMAT == "typst" then
    local colour = COLOURS[kind]
    local source = string.format(
      '#block(width: 100%%, inset: (x: 9pt, y: 7pt), radius: 2pt, breakable: false, '
        .. 'fill: rgb("%s").lighten(90%%), stroke: (left: 3pt + rgb("%s"), rest: 0.5pt + rgb("%s")))'
        .. '[#text(weight: "bold")[%s]\n\n%s]',
      colour, colour, colour, typst({ pandoc.Plain(title) }), typst(body)
    )
    return pandoc.RawBlock("typst", source)
  elseif FORMAT == "docx" then
    local out = pandoc.Blocks({})
    out:insert(pandoc.Div({ pandoc.Para(title) }, { ["custom-style"] = "Callout Title" }))
    out:insert(pandoc.Div(body, { ["custom-style"] = "Callout Text" }))
    return out
  end
  return nil
end
