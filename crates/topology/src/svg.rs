//! SVG rendering of a [`MapView`]: rings, edges, nodes sized by open-port count and coloured by kind and
//! device type, labels, a tooltip (`<title>`) per node, and a legend. Plain string building: every piece of
//! text goes through [`escape`], because names and OS strings come from the network.

use crate::graph::NodeKind;
use crate::view::{MapNode, MapView};
use std::fmt::Write as _;

/// Escapes text for XML character data and attribute values. Characters XML 1.0 cannot carry at all (C0
/// controls other than tab, newline and carriage return; U+FFFE, U+FFFF) become U+FFFD, so any label still
/// gives a well-formed document.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Colour classes of the legend, in legend order: (class, fill colour, legend text).
const CLASSES: &[(&str, &str, &str)] = &[
    ("scanner", "#222222", "scanner (localhost)"),
    ("router", "#f0a030", "router (hop, not a target)"),
    ("unknown", "#d0d0d0", "unknown hop (*)"),
    ("host", "#3a7fc0", "host"),
    ("netdev", "#d9534f", "host: router, switch, firewall, WAP"),
    ("printer", "#8e6cc0", "host: printer"),
    ("general", "#2ca25f", "host: general purpose"),
    ("other", "#8c8c2c", "host: other device type"),
];

/// The colour class of a node: its kind, refined for hosts by the OS detection's device type.
pub fn class_of(n: &MapNode) -> &'static str {
    match n.kind {
        NodeKind::Scanner => "scanner",
        NodeKind::Router => "router",
        NodeKind::Unknown => "unknown",
        NodeKind::Host => match n.device_type.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None => "host",
            Some(d) if ["router", "switch", "firewall", "wap", "bridge", "broadband router", "load balancer"]
                .iter()
                .any(|k| d.contains(k)) =>
            {
                "netdev"
            }
            Some(d) if d.contains("printer") => "printer",
            Some("general purpose") => "general",
            Some(_) => "other",
        },
    }
}

/// Node radius: grows with the square root of the open-port count, capped so big hosts stay readable.
pub fn radius_of(n: &MapNode) -> f64 {
    match n.kind {
        NodeKind::Scanner => 10.0,
        NodeKind::Unknown => 5.0,
        _ => (6.0 + 2.5 * f64::from(n.open_ports).sqrt()).min(24.0),
    }
}

fn fill_of(class: &str) -> &'static str {
    CLASSES.iter().find(|c| c.0 == class).map_or("#3a7fc0", |c| c.1)
}

/// Renders the map as a standalone SVG document.
pub fn render(view: &MapView) -> String {
    const MARGIN: f64 = 90.0;
    const LEGEND_W: f64 = 290.0;
    let [mut x0, mut y0, mut x1, mut y1] = view.bounds;
    if view.ring_spacing > 0.0 {
        let r = view.ring_spacing * f64::from(view.rings);
        (x0, y0, x1, y1) = (x0.min(-r), y0.min(-r), x1.max(r), y1.max(r));
    }
    let (x0, y0) = (x0 - MARGIN, y0 - MARGIN);
    let legend_h = 40.0 + 20.0 * CLASSES.len() as f64 + 70.0;
    let width = (x1 + MARGIN - x0) + LEGEND_W;
    let height = (y1 + MARGIN - y0).max(legend_h + 20.0);
    let mut s = String::with_capacity(256 + view.nodes.len() * 400 + view.edges.len() * 120);
    let _ = writeln!(s, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{w:.0}" height="{h:.0}" viewBox="{x0:.1} {y0:.1} {w:.1} {h:.1}" font-family="sans-serif">"#,
        w = width,
        h = height,
    );
    let _ = writeln!(s, "<title>Portolan topology map ({} layout, {} nodes)</title>", layout_name(view), view.nodes.len());
    let _ = writeln!(s, r##"<rect x="{x0:.1}" y="{y0:.1}" width="{width:.1}" height="{height:.1}" fill="#ffffff"/>"##);
    if view.ring_spacing > 0.0 {
        s.push_str(r##"<g class="rings" fill="none" stroke="#e4e4e4" stroke-width="1">"##);
        s.push('\n');
        for i in 1..=view.rings {
            let r = view.ring_spacing * f64::from(i);
            let _ = writeln!(s, r#"<circle cx="0" cy="0" r="{r:.1}"/>"#);
            let _ = writeln!(s, r##"<text x="3" y="{:.1}" font-size="10" fill="#a0a0a0" stroke="none">{i}</text>"##, -r - 3.0);
        }
        s.push_str("</g>\n");
    }
    let pos: std::collections::HashMap<&str, (f64, f64)> =
        view.nodes.iter().map(|n| (n.id.as_str(), (n.x, n.y))).collect();
    s.push_str(r##"<g class="edges" stroke="#9a9a9a" stroke-width="1.2">"##);
    s.push('\n');
    for e in &view.edges {
        let (Some(a), Some(b)) = (pos.get(e.source.as_str()), pos.get(e.target.as_str())) else { continue };
        let dash = if e.inferred { r#" stroke-dasharray="4 4""# } else { "" };
        let _ = write!(s, r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}"{dash}>"#, a.0, a.1, b.0, b.1);
        let _ = write!(s, "<title>{} → {}", escape(&e.source), escape(&e.target));
        if let Some(d) = e.rtt_delta_ms {
            let _ = write!(s, " (+{d:.2} ms)");
        }
        s.push_str("</title></line>\n");
    }
    s.push_str("</g>\n");
    let radial = view.layout == crate::layout::LayoutKind::Radial;
    let parents: std::collections::HashSet<&str> = view.edges.iter().map(|e| e.source.as_str()).collect();
    s.push_str(r#"<g class="nodes" font-size="11">"#);
    s.push('\n');
    for n in &view.nodes {
        let class = class_of(n);
        let r = radius_of(n);
        let stroke = if n.kind == NodeKind::Unknown { r##" stroke="#808080" stroke-dasharray="2 2""## } else { r##" stroke="#ffffff""## };
        let _ = write!(s, r#"<g class="node {class}" data-id="{}">"#, escape(&n.id));
        let _ = write!(s, r#"<circle cx="{:.1}" cy="{:.1}" r="{r:.1}" fill="{}"{stroke} stroke-width="1.5">"#, n.x, n.y, fill_of(class));
        let _ = write!(s, "<title>{}</title></circle>", escape(&tooltip(n)));
        let radius = (n.x * n.x + n.y * n.y).sqrt();
        if radial && !parents.contains(n.id.as_str()) && radius > 0.0 {
            // Leaves of the radial layout crowd their ring: their labels point outwards along the radius,
            // turned so that they never read upside down.
            let (ux, uy) = (n.x / radius, n.y / radius);
            let (tx, ty) = (n.x + ux * (r + 4.0), n.y + uy * (r + 4.0));
            let mut deg = uy.atan2(ux).to_degrees();
            let anchor = if ux < 0.0 {
                deg += 180.0;
                "end"
            } else {
                "start"
            };
            let _ = write!(
                s,
                r##"<text x="{tx:.1}" y="{ty:.1}" dy="0.35em" text-anchor="{anchor}" transform="rotate({deg:.2} {tx:.1} {ty:.1})" fill="#303030">{}</text>"##,
                escape(&n.label)
            );
        } else {
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#303030">{}</text>"##,
                n.x,
                n.y + r + 12.0,
                escape(&n.label)
            );
        }
        s.push_str("</g>\n");
    }
    s.push_str("</g>\n");
    legend(&mut s, x1 + MARGIN + 10.0, y0 + 10.0);
    s.push_str("</svg>\n");
    s
}

fn layout_name(view: &MapView) -> &'static str {
    match view.layout {
        crate::layout::LayoutKind::Radial => "radial",
        crate::layout::LayoutKind::Force => "force",
    }
}

/// Tooltip text: addresses, names, hops, RTT, open ports, OS.
fn tooltip(n: &MapNode) -> String {
    let mut t = n.label.clone();
    if !n.addresses.is_empty() {
        let _ = write!(t, "\naddresses: {}", n.addresses.join(", "));
    }
    if n.names.len() > 1 {
        let _ = write!(t, "\nnames: {}", n.names.join(", "));
    }
    if let Some(h) = n.hops {
        let _ = write!(t, "\nhops: {h}");
    }
    if let Some(r) = n.rtt_ms {
        let _ = write!(t, "\nRTT: {r:.2} ms");
    }
    if n.kind == NodeKind::Host {
        let _ = write!(t, "\nopen ports: {}", n.open_ports);
    }
    if let Some(os) = &n.os {
        let _ = write!(t, "\nOS: {os}");
    }
    if let Some(d) = &n.device_type {
        let _ = write!(t, "\ndevice: {d}");
    }
    t
}

fn legend(s: &mut String, x: f64, y: f64) {
    let _ = writeln!(s, r#"<g class="legend" font-size="12" transform="translate({x:.1},{y:.1})">"#);
    let h = 40.0 + 20.0 * CLASSES.len() as f64 + 70.0;
    let _ = writeln!(s, r##"<rect x="0" y="0" width="270" height="{h:.0}" fill="#fafafa" stroke="#cccccc"/>"##);
    let _ = writeln!(s, r#"<text x="10" y="20" font-weight="bold">Legend</text>"#);
    for (i, (class, fill, text)) in CLASSES.iter().enumerate() {
        let cy = 40.0 + 20.0 * i as f64;
        let _ = writeln!(s, r#"<circle class="{class}" cx="20" cy="{cy:.0}" r="6" fill="{fill}"/><text x="34" y="{:.0}">{}</text>"#, cy + 4.0, escape(text));
    }
    let y = 40.0 + 20.0 * CLASSES.len() as f64 + 10.0;
    let _ = writeln!(s, r#"<text x="10" y="{y:.0}">size: open ports</text>"#);
    let mut cx = 24.0;
    for p in [0u32, 5, 20] {
        let r = (6.0 + 2.5 * f64::from(p).sqrt()).min(24.0);
        let _ = writeln!(s, r##"<circle cx="{cx:.0}" cy="{:.0}" r="{r:.1}" fill="#3a7fc0"/><text x="{:.0}" y="{:.0}">{p}</text>"##, y + 30.0, cx + r + 4.0, y + 34.0);
        cx += 2.0 * r + 40.0;
    }
    s.push_str("</g>\n");
}
