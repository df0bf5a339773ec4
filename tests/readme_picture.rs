//! The README's picture of the console (`assets/console.png`) is the demo's
//! home screen as this build draws it: the real `ui::render` into ratatui's
//! `TestBackend`, each cell painted with an 8×8 bitmap font (doubled in
//! height) in a dark terminal palette. The test fails when the committed
//! picture is not what the console draws; `PULLTUI_UPDATE_ASSETS=1` writes
//! it anew (then look at it and commit it, as with the insta snapshots).

mod support;

use std::path::Path;

use font8x8::UnicodeFonts;
use pulltui::app::{Msg, update};
use pulltui::ui::Theme;
use ratatui::buffer::Cell;
use ratatui::style::{Color, Modifier};
use support::demo::demo;
use support::screen::draw;

const COLS: u16 = 120;
const ROWS: u16 = 34;
const CW: usize = 8;
const CH: usize = 16;
const BG: [u8; 3] = [0x1d, 0x20, 0x26];
const FG: [u8; 3] = [0xd8, 0xdc, 0xe2];

/// A dark terminal palette for the 16 ANSI colours the theme uses.
fn rgb(c: Color, default: [u8; 3]) -> [u8; 3] {
    match c {
        Color::Reset => default,
        Color::Black => [0x1d, 0x20, 0x26],
        Color::Red => [0xe0, 0x6c, 0x75],
        Color::Green => [0x98, 0xc3, 0x79],
        Color::Yellow => [0xe5, 0xc0, 0x7b],
        Color::Blue => [0x61, 0xaf, 0xef],
        Color::Magenta => [0xc6, 0x78, 0xdd],
        Color::Cyan => [0x56, 0xb6, 0xc2],
        Color::Gray => [0xab, 0xb2, 0xbf],
        Color::DarkGray => [0x6b, 0x72, 0x80],
        Color::LightRed => [0xff, 0x7b, 0x86],
        Color::LightGreen => [0xb5, 0xe8, 0x90],
        Color::LightYellow => [0xff, 0xd6, 0x8a],
        Color::LightBlue => [0x82, 0xc4, 0xff],
        Color::LightMagenta => [0xde, 0x9b, 0xf0],
        Color::LightCyan => [0x7f, 0xd8, 0xe3],
        Color::White => [0xff, 0xff, 0xff],
        Color::Rgb(r, g, b) => [r, g, b],
        Color::Indexed(_) => default,
    }
}

/// The 8×8 glyph of a cell's symbol: ASCII, Latin, box drawing, blocks;
/// a few symbols the console uses drawn from look-alikes; else blank.
fn glyph(symbol: &str) -> [u8; 8] {
    let Some(c) = symbol.chars().next() else {
        return [0; 8];
    };
    let c = match c {
        '●' => '\u{2022}',
        '◌' | '○' => 'o',
        '…' => '_',
        '×' | '✕' => 'x',
        '✓' => 'v',
        '↑' => '^',
        '↓' => 'v',
        '—' | '–' => '-',
        '·' => '.',
        other => other,
    };
    font8x8::BASIC_FONTS
        .get(c)
        .or_else(|| font8x8::LATIN_FONTS.get(c))
        .or_else(|| font8x8::BOX_FONTS.get(c))
        .or_else(|| font8x8::BLOCK_FONTS.get(c))
        .or_else(|| font8x8::MISC_FONTS.get(c))
        .or_else(|| font8x8::GREEK_FONTS.get(c))
        .or_else(|| (c == '\u{2022}').then_some([0, 0, 0x18, 0x3c, 0x3c, 0x18, 0, 0]))
        .unwrap_or([0; 8])
}

fn paint(cell: &Cell, x: usize, y: usize, width: usize, px: &mut [u8]) {
    let mut fg = rgb(cell.fg, FG);
    let mut bg = rgb(cell.bg, BG);
    if cell.modifier.contains(Modifier::REVERSED) {
        std::mem::swap(&mut fg, &mut bg);
    }
    if cell.modifier.contains(Modifier::DIM) {
        fg = [
            fg[0] / 2 + bg[0] / 2,
            fg[1] / 2 + bg[1] / 2,
            fg[2] / 2 + bg[2] / 2,
        ];
    }
    let bold = cell.modifier.contains(Modifier::BOLD);
    let underline = cell.modifier.contains(Modifier::UNDERLINED);
    let g = glyph(cell.symbol());
    for row in 0..CH {
        let bits = g[row / 2];
        for col in 0..CW {
            let on = bits >> col & 1 == 1
                || (bold && col > 0 && bits >> (col - 1) & 1 == 1)
                || (underline && row == CH - 1);
            let colour = if on { fg } else { bg };
            let at = ((y * CH + row) * width + x * CW + col) * 3;
            px[at..at + 3].copy_from_slice(&colour);
        }
    }
}

/// The demo's home screen, as RGB pixels.
fn picture() -> (u32, u32, Vec<u8>) {
    let (mut m, _) = demo();
    update(&mut m, Msg::Resize(COLS, ROWS));
    m.settle();
    let t = draw(&m, Theme::coloured());
    let buf = t.backend().buffer();
    let (w, h) = (COLS as usize * CW, ROWS as usize * CH);
    let mut px = vec![0u8; w * h * 3];
    for y in 0..ROWS {
        for x in 0..COLS {
            paint(&buf[(x, y)], x as usize, y as usize, w, &mut px);
        }
    }
    (w as u32, h as u32, px)
}

fn encode(w: u32, h: u32, px: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::High);
        let mut writer = enc.write_header().expect("png header");
        writer.write_image_data(px).expect("png data");
    }
    out
}

fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .expect("a PNG");
    let mut px = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut px).expect("a frame");
    px.truncate(info.buffer_size());
    (info.width, info.height, px)
}

#[test]
fn the_readme_picture_is_the_demo_home_screen_as_drawn() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/console.png");
    let (w, h, px) = picture();
    if std::env::var("PULLTUI_UPDATE_ASSETS").as_deref() == Ok("1") {
        std::fs::write(&path, encode(w, h, &px)).expect("write assets/console.png");
    }
    let committed =
        std::fs::read(&path).expect("assets/console.png (PULLTUI_UPDATE_ASSETS=1 makes it)");
    let (cw, ch, cpx) = decode(&committed);
    assert_eq!((cw, ch), (w, h), "the picture's size");
    assert!(
        cpx == px,
        "assets/console.png is not the console as this build draws the demo: \
         run PULLTUI_UPDATE_ASSETS=1 cargo nextest run -E 'binary(readme_picture)', look, commit"
    );
    // Not a blank picture: the text and the colours of the causes are in it.
    let lit = px.chunks(3).filter(|p| *p != BG).count();
    assert!(lit > px.len() / 3 / 20, "{lit} lit pixels");
    let colours: std::collections::BTreeSet<&[u8]> = px.chunks(3).collect();
    assert!(colours.len() >= 6, "{} colours", colours.len());
}
