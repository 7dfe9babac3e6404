//! `analyze --format html` and `--format markdown` as a support engineer
//! meets them: the page read back with an XML parser (it is written as
//! well-formed XML), its ladders' arrows and labels in order, checked
//! against what tshark shows of the same frames, every sample's ladders
//! against the report's JSON timelines, the page of a 1000-call capture
//! within its size, and the page drawn by headless Chromium.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use quick_xml::events::Event;
use quick_xml::Reader;
use serde_json::Value;

mod support;
use support::{callscope, sample};

fn html_of(file: &str) -> String {
    let run = callscope(&["analyze", "--format", "html", &sample(file)]);
    assert_eq!(run.code, Some(0), "{file}: {}", run.stderr);
    run.stdout
}

/// An element of the page: its name, attributes, children and text.
#[derive(Debug, Default)]
struct Element {
    name: String,
    attrs: BTreeMap<String, String>,
    children: Vec<Element>,
    /// The text directly inside it.
    text: String,
}

impl Element {
    fn attr(&self, name: &str) -> &str {
        self.attrs.get(name).map_or("", |s| s.as_str())
    }

    fn has_class(&self, class: &str) -> bool {
        self.attr("class").split(' ').any(|c| c == class)
    }

    /// Every element below this one, depth first, in document order.
    fn all(&self) -> Vec<&Element> {
        let mut out = Vec::new();
        for c in &self.children {
            out.push(c);
            out.extend(c.all());
        }
        out
    }

    fn find_all(&self, name: &str, class: &str) -> Vec<&Element> {
        self.all()
            .into_iter()
            .filter(|e| e.name == name && (class.is_empty() || e.has_class(class)))
            .collect()
    }

    /// The direct text of every `name` element of `class` below.
    fn texts(&self, name: &str, class: &str) -> Vec<String> {
        self.find_all(name, class)
            .iter()
            .map(|e| e.text.clone())
            .collect()
    }

    /// All the text inside, children included.
    fn all_text(&self) -> String {
        let mut s = self.text.clone();
        for c in &self.children {
            s.push_str(&c.all_text());
        }
        s
    }
}

/// Reads the page as XML: any tag left open, closed twice or mismatched,
/// and any unescaped `<` or `&` in text, fails here.
fn parse(page: &str) -> Element {
    let mut reader = Reader::from_str(page);
    let mut stack = vec![Element::default()];
    let attrs = |e: &quick_xml::events::BytesStart<'_>| -> BTreeMap<String, String> {
        e.attributes()
            .map(|a| {
                let a = a.expect("a well-formed attribute");
                (
                    String::from_utf8(a.key.as_ref().to_vec()).expect("utf-8"),
                    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .expect("escaped")
                        .into_owned(),
                )
            })
            .collect()
    };
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => stack.push(Element {
                name: String::from_utf8(e.name().as_ref().to_vec()).expect("utf-8"),
                attrs: attrs(&e),
                ..Element::default()
            }),
            Event::Empty(e) => {
                let el = Element {
                    name: String::from_utf8(e.name().as_ref().to_vec()).expect("utf-8"),
                    attrs: attrs(&e),
                    ..Element::default()
                };
                stack.last_mut().expect("open").children.push(el);
            }
            Event::End(_) => {
                let done = stack.pop().expect("open");
                assert!(!stack.is_empty(), "an end tag with no start");
                stack.last_mut().expect("open").children.push(done);
            }
            Event::Text(t) => stack
                .last_mut()
                .expect("open")
                .text
                .push_str(&t.decode().expect("utf-8")),
            Event::GeneralRef(r) => {
                let text = match r.resolve_char_ref().expect("a character reference") {
                    Some(ch) => ch.to_string(),
                    None => match &*r.decode().expect("utf-8") {
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "amp" => "&".into(),
                        "quot" => "\"".into(),
                        "apos" => "'".into(),
                        other => panic!("an entity XML does not know: &{other};"),
                    },
                };
                stack.last_mut().expect("open").text.push_str(&text);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "elements left open at the end");
    stack.pop().expect("the document")
}

/// One arrow of a ladder: frame number, label, drawn as evidence.
#[derive(Debug, PartialEq)]
struct Arrow {
    frame: u64,
    protocol: String,
    label: String,
    evidence: bool,
}

fn arrows(svg: &Element) -> Vec<Arrow> {
    svg.find_all("g", "e")
        .into_iter()
        .map(|g| {
            let label = g.find_all("text", "l");
            assert_eq!(label.len(), 1, "one label per arrow: {g:?}");
            // The frame number and time at the left.
            let at_left = g.find_all("text", "ft");
            assert_eq!(at_left.len(), 1, "one frame number per arrow");
            let frame: u64 = g.attr("data-frame").parse().expect("a frame number");
            assert_eq!(
                at_left[0].text.split_whitespace().next(),
                Some(frame.to_string().as_str())
            );
            let classes: Vec<&str> = g.attr("class").split(' ').collect();
            assert!(classes.len() >= 2, "{classes:?}");
            Arrow {
                frame,
                protocol: classes[1].to_ascii_uppercase(),
                label: label[0].text.clone(),
                evidence: g.has_class("bad"),
            }
        })
        .collect()
}

fn arrow(frame: u64, protocol: &str, label: &str, evidence: bool) -> Arrow {
    Arrow {
        frame,
        protocol: protocol.into(),
        label: label.into(),
        evidence,
    }
}

/// A call's section of the page.
fn call_section(doc: &Element, number: u32) -> &Element {
    let id = format!("call-{number}");
    doc.find_all("article", "call")
        .into_iter()
        .find(|a| a.attr("id") == id)
        .unwrap_or_else(|| panic!("no section for call {number}"))
}

/// Nothing in a page is fetched: no script, no stylesheet or image link,
/// no address but the page's own anchors; and no character XML forbids
/// (a control byte from a capture).
fn assert_self_contained(page: &str, doc: &Element) {
    assert!(
        !page
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')),
        "a control character in the page"
    );
    for el in doc.all() {
        assert!(
            !["script", "link", "img", "iframe", "object"].contains(&el.name.as_str()),
            "a <{}> in the page",
            el.name
        );
        for key in ["src", "srcset"] {
            assert!(!el.attrs.contains_key(key), "{key} on <{}>", el.name);
        }
        let href = el.attr("href");
        assert!(href.is_empty() || href.starts_with('#'), "href {href}");
    }
    assert!(!page.contains("url("), "the stylesheet fetches something");
    assert!(!page.contains("@import"));
}

#[test]
fn sip_603_page_draws_its_ladder_in_order_with_the_decline_in_red() {
    let page = html_of("sip-603-decline.pcap");
    let doc = parse(&page);
    assert_self_contained(&page, &doc);
    let call = call_section(&doc, 1);
    assert!(call.has_class("failed"));
    let pills: Vec<String> = call
        .find_all("span", "pill")
        .iter()
        .map(|s| s.all_text())
        .collect();
    assert_eq!(
        pills,
        [
            "sip-603",
            "stage: sip",
            "Twilio 31603: declined: do not retry"
        ]
    );
    let svg = &call.find_all("svg", "ladder")[0];
    let columns: Vec<String> = svg.texts("text", "role");
    assert_eq!(columns, ["SIP caller", "SIP callee"]);
    let addresses: Vec<String> = svg.texts("text", "addr");
    assert_eq!(addresses, ["10.201.1.1:5060", "10.201.1.2:5060"]);
    // tshark -r sip-603-decline.pcap: 1 INVITE, 2 100 Trying, 3 180
    // Ringing, 4 603 Decline, 5 ACK; the verdict's evidence is the
    // INVITE and the 603.
    assert_eq!(
        arrows(svg),
        [
            arrow(1, "SIP", "INVITE", true),
            arrow(2, "SIP", "100 Trying", false),
            arrow(3, "SIP", "180 Ringing", false),
            arrow(4, "SIP", "603 Decline", true),
            arrow(5, "SIP", "ACK", false),
        ]
    );
    // Arrows point the way the message went: the INVITE to the right
    // (caller to callee), the 603 back to the left.
    let heads: Vec<String> = svg
        .find_all("path", "a")
        .iter()
        .map(|p| p.attr("d").to_string())
        .collect();
    assert!(heads[0].contains("l-9-4"), "{heads:?}");
    assert!(heads[3].contains("l9-4"), "{heads:?}");
    // The evidence table and the advice.
    let evidence: Vec<String> = call
        .find_all("ul", "evidence")
        .iter()
        .flat_map(|u| u.find_all("b", ""))
        .map(|b| b.text.clone())
        .collect();
    assert_eq!(evidence, ["1", "4"]);
    assert!(call
        .find_all("ul", "advice")
        .first()
        .is_some_and(|u| u.all_text().contains("must not be retried")));
}

#[test]
fn dtls_failure_page_marks_the_unanswered_client_hello() {
    let page = html_of("sip-webrtc-dtls-fail.pcap");
    let doc = parse(&page);
    assert_self_contained(&page, &doc);
    let call = call_section(&doc, 1);
    let svg = &call.find_all("svg", "ladder")[0];
    let columns: Vec<String> = svg.texts("text", "role");
    assert_eq!(
        columns,
        ["SIP caller", "SIP callee", "caller media", "callee media"]
    );
    // tshark -r sip-webrtc-dtls-fail.pcap -d udp.port==55041,stun: the
    // TCP handshake in 1-2, the INVITE transaction in 5-16, the first
    // checks in 18-21 (each check repeated: 7 from 10.202.1.2), the
    // ClientHello first in 22 and again in 23, 24, 29, 36 and 49, the BYE
    // in 52 and its 200 in 54.
    assert_eq!(
        arrows(svg),
        [
            arrow(1, "TCP", "SYN", false),
            arrow(2, "TCP", "SYN-ACK", false),
            arrow(5, "SIP", "INVITE", false),
            arrow(8, "SIP", "100 Trying", false),
            arrow(10, "SIP", "180 Ringing", false),
            arrow(13, "SIP", "200 OK", false),
            arrow(16, "SIP", "ACK", false),
            arrow(18, "STUN", "Binding request USE-CANDIDATE x7", false),
            arrow(19, "STUN", "Binding request x7", false),
            arrow(20, "STUN", "Binding success x7", false),
            arrow(21, "STUN", "Binding success x7", false),
            arrow(22, "DTLS", "ClientHello x6", true),
            arrow(52, "SIP", "BYE", false),
            arrow(54, "SIP", "200 OK", false),
        ]
    );
    // Where a label leaves something out, the whole text is the arrow's
    // tooltip.
    let bad = svg.find_all("g", "bad");
    // tshark: the ClientHello in 22, 23, 24, 29, 36 and 49.
    assert_eq!(
        bad[0].find_all("title", "")[0].text,
        "ClientHello (6 transmissions), no response; frames 22, 23, 24, 29, 36, 49"
    );
    assert_eq!(
        bad[0].find_all("text", "ft")[0]
            .text
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["22", "0.699602"]
    );
}

#[test]
fn an_rtp_stream_is_a_bar_with_its_packets_loss_and_jitter() {
    let page = html_of("sip-call-one-way-rtp.pcap");
    let doc = parse(&page);
    let svg = &call_section(&doc, 1).find_all("svg", "ladder")[0];
    let rtp: Vec<Arrow> = arrows(svg)
        .into_iter()
        .filter(|a| a.protocol == "RTP")
        .collect();
    // The one stream (tshark -z rtp,streams: 100 packets, 0 lost, one
    // way), evidence of the one-way verdict.
    assert_eq!(
        rtp,
        [arrow(6, "RTP", "RTP x100, 0 lost, jitter 0.3 ms", true)]
    );
    assert_eq!(svg.find_all("rect", "bar").len(), 1);
}

/// Every sample's page is well-formed and self-contained, and each drawn
/// call's arrows are its JSON timeline's events, frame by frame.
#[test]
fn every_sample_page_draws_the_timelines_of_the_json_report() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("samples")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    files.sort();
    assert!(files.len() > 50, "samples missing");
    let mut drawn_calls = 0;
    let mut ended = 0;
    for f in &files {
        let f = f.to_string_lossy();
        let json = callscope(&["analyze", "--format", "json", &f]);
        let report: Value = serde_json::from_str(&json.stdout).expect("json");
        let page = callscope(&["analyze", "--format", "html", &f]);
        assert_eq!(page.code, json.code, "{f}");
        let doc = parse(&page.stdout);
        assert_self_contained(&page.stdout, &doc);
        let calls = report["calls"].as_array().expect("calls");
        // Failed: a stage other than none, and not cut off by the
        // capture's end (verdicts.md).
        let failed =
            |c: &Value| c["verdict"]["stage"] != "none" && c["verdict"]["code"] != "capture-ended";
        let others = calls.iter().filter(|c| !failed(c)).count();
        let mut failed_seen = 0;
        for c in calls {
            let number = c["number"].as_u64().expect("number") as u32;
            failed_seen += usize::from(failed(c));
            // Past the first thousand failed calls, or past twenty
            // others, a call is a table row only.
            if (failed(c) && failed_seen > 1000) || (!failed(c) && others > 20) {
                assert!(
                    doc.find_all("article", "call")
                        .iter()
                        .all(|a| a.attr("id") != format!("call-{number}")),
                    "{f}: call {number} drawn among {others}"
                );
                continue;
            }
            let section = call_section(&doc, number);
            assert_eq!(section.has_class("failed"), failed(c), "{f} call {number}");
            assert_eq!(
                section.has_class("ended"),
                c["verdict"]["code"] == "capture-ended",
                "{f} call {number}"
            );
            ended += usize::from(section.has_class("ended"));
            let timeline = c["timeline"].as_array().expect("timeline");
            let drawn = section
                .find_all("svg", "ladder")
                .first()
                .map(|s| arrows(s))
                .unwrap_or_default();
            let expected: Vec<(u64, String, bool)> = timeline
                .iter()
                .map(|e| {
                    (
                        e["frame"].as_u64().expect("frame"),
                        e["protocol"].as_str().expect("protocol").to_string(),
                        e["evidence"].as_bool().expect("evidence") && failed(c),
                    )
                })
                .collect();
            let got: Vec<(u64, String, bool)> = drawn
                .into_iter()
                .map(|a| (a.frame, a.protocol, a.evidence))
                .collect();
            assert_eq!(got, expected, "{f} call {number}");
            drawn_calls += 1;
        }
        // The totals say what the JSON summary says.
        let stages: Vec<(String, String)> = doc.find_all("table", "by-stage")[0]
            .find_all("tr", "")
            .iter()
            .skip(1)
            .map(|tr| (tr.children[0].text.clone(), tr.children[1].text.clone()))
            .collect();
        let expected: Vec<(String, String)> = report["summary"]["by_stage"]
            .as_object()
            .expect("by_stage")
            .iter()
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect();
        assert_eq!(stages, expected, "{f}");
    }
    assert!(drawn_calls > 100, "only {drawn_calls} calls drawn");
    assert!(ended > 0, "no call cut off by the capture's end drawn");
}

#[test]
fn a_thousand_call_page_draws_the_failed_and_lists_the_rest_within_2_mb() {
    // 1000 sipp calls: 603 failed (media-one-way 166, sip-486 120,
    // sip-603 100, sip-404 60, sip-480 60, media-none 57, sip-487 40),
    // 397 ok; samples/README.md says how each was made.
    let page = html_of("sip-load-one-port.pcap");
    assert!(page.len() < 2_000_000, "{} bytes", page.len());
    let doc = parse(&page);
    let failed = doc
        .find_all("section", "")
        .into_iter()
        .find(|s| s.attr("id") == "failed")
        .expect("failed section");
    assert_eq!(failed.find_all("article", "failed").len(), 603);
    assert_eq!(failed.find_all("svg", "ladder").len(), 603);
    // Its table: a linked row per failed call.
    let rows = &failed.find_all("table", "calls")[0].find_all("tr", "")[1..];
    assert_eq!(rows.len(), 603);
    assert!(rows.iter().all(|r| !r.find_all("a", "").is_empty()));
    let others = doc
        .find_all("section", "")
        .into_iter()
        .find(|s| s.attr("id") == "others")
        .expect("others section");
    assert!(others.find_all("article", "").is_empty(), "ok calls drawn");
    let rows = &others.find_all("table", "calls")[0].find_all("tr", "")[1..];
    assert_eq!(rows.len(), 397);
    assert!(rows.iter().all(|r| r.attr("id").starts_with("call-")));
    // The code table: failures first, by count.
    let codes: Vec<(String, String)> = doc.find_all("table", "by-code")[0]
        .find_all("tr", "")
        .iter()
        .skip(1)
        .map(|tr| (tr.children[0].text.clone(), tr.children[1].text.clone()))
        .collect();
    let codes: Vec<(&str, &str)> = codes
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            ("media-one-way", "166"),
            ("sip-486", "120"),
            ("sip-603", "100"),
            ("sip-404", "60"),
            ("sip-480", "60"),
            ("media-none", "57"),
            ("sip-487", "40"),
            ("ok", "397"),
        ]
    );
}

#[test]
fn markdown_has_the_verdict_table_and_the_text_ladder() {
    let run = callscope(&[
        "analyze",
        "--format",
        "markdown",
        &sample("sip-603-decline.pcap"),
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let md = run.stdout;
    assert!(md.starts_with("# callscope report: "), "{md}");
    assert!(md.contains("### Call 1: sip-603\n"), "{md}");
    assert!(
        md.contains("| Twilio | 31603: declined: do not retry |"),
        "{md}"
    );
    assert!(md.contains("| evidence | frame 4: 603 Decline |"), "{md}");
    // The ladder in a fenced block: the same lines as `callscope ladder`
    // after its two heading lines.
    let ladder = callscope(&["ladder", &sample("sip-603-decline.pcap")]).stdout;
    let fenced: Vec<&str> = md
        .split("```text\n")
        .nth(1)
        .expect("a fenced ladder")
        .split("```")
        .next()
        .expect("closed")
        .lines()
        .collect();
    let ladder: Vec<&str> = ladder.lines().collect();
    assert!(fenced.len() > 5);
    assert_eq!(fenced, ladder[ladder.len() - fenced.len()..]);
    assert!(fenced.iter().any(|l| l.contains("603 Decline")));
}

#[test]
fn markdown_of_many_calls_lists_them_all_and_draws_ten() {
    let run = callscope(&[
        "analyze",
        "--format",
        "markdown",
        &sample("sip-load-one-port.pcap"),
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let md = run.stdout;
    assert_eq!(md.matches("\n### Call ").count(), 10);
    assert_eq!(md.matches("```text\n").count(), 10);
    assert!(md.contains("## Failed calls (603)"));
    assert!(md.contains("The first 10 are drawn below"));
    // A row per call in the two tables: 603 failed, 397 others.
    let rows = md
        .lines()
        .filter(|l| {
            l.starts_with("| ")
                && l.split('|')
                    .nth(1)
                    .is_some_and(|n| n.trim().parse::<u32>().is_ok())
        })
        .count();
    assert_eq!(rows, 1000);
}

#[test]
fn page_formats_take_one_capture_and_leave_no_file_for_an_unreadable_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("report.html");
    let out_s = out.to_string_lossy();
    let run = callscope(&[
        "analyze",
        "--format",
        "html",
        "-o",
        &out_s,
        &sample("sip-603-decline.pcap"),
        &sample("sip-486-busy.pcap"),
    ]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("give one FILE"), "{}", run.stderr);
    assert!(!out.exists());

    let missing = dir.path().join("missing.pcap");
    let run = callscope(&[
        "analyze",
        "--format",
        "html",
        "-o",
        &out_s,
        &missing.to_string_lossy(),
    ]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("missing.pcap"), "{}", run.stderr);
    assert!(!out.exists(), "a report for a capture that was never read");

    let run = callscope(&[
        "analyze",
        "--format",
        "html",
        "-o",
        &out_s,
        &sample("sip-486-busy.pcap"),
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    let page = std::fs::read_to_string(&out).expect("written");
    assert!(page.contains("sip-486"));
    parse(&page);
}

/// Headless Chromium draws the page: the screenshot is not blank, and the
/// failing step's red is on it. Skipped (and said) without Chromium,
/// except under `CALLSCOPE_REQUIRE_CHROMIUM`, as `.ci/run` sets it.
#[test]
fn chromium_draws_the_page_with_the_failing_step_in_red() {
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        });
    let Some(chromium) = chromium else {
        assert!(
            std::env::var_os("CALLSCOPE_REQUIRE_CHROMIUM").is_none(),
            "Chromium is required here (CALLSCOPE_REQUIRE_CHROMIUM) but not installed"
        );
        eprintln!("skipped: chromium is not installed (apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let page = dir.path().join("report.html");
    let shot = dir.path().join("shot.png");
    let run = callscope(&[
        "analyze",
        "--format",
        "html",
        "-o",
        &page.to_string_lossy(),
        &sample("sip-webrtc-dtls-fail.pcap"),
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--force-color-profile=srgb",
            "--window-size=1280,1600",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        shot.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&shot).expect("png"),
    ));
    let mut reader = decoder.read_info().expect("a png");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("a frame");
    assert_eq!((info.width, info.height), (1280, 1600));
    let channels = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(channels).collect();
    let background = pixels[0];
    let drawn = pixels.iter().filter(|p| p[..3] != background[..3]).count();
    // The failure colour (#c62828 in light mode): the DTLS arrow, the
    // code and the article's edge.
    let red = pixels
        .iter()
        .filter(|p| p[0] > 150 && p[1] < 80 && p[2] < 80)
        .count();
    eprintln!(
        "screenshot: {} pixels differ from the background, {red} red",
        drawn
    );
    assert!(drawn > 40_000, "a nearly blank page: {drawn} pixels drawn");
    assert!(red > 1_000, "no failure drawn in red: {red} pixels");
}
