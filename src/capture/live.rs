//! Live capture through libpcap (the pcap crate), behind the `live`
//! feature: interfaces opened with a BPF filter in immediate mode (packets
//! handed over as they arrive, not held in the kernel's buffer until it
//! fills), one reading thread per interface, packets passed on in small
//! chunks over a bounded channel. When the reader falls behind, the
//! channel fills, the reading threads wait, and the kernel's buffer takes
//! the rest; what it cannot hold, it drops and counts, and those counts
//! (libpcap's statistics) are kept here for the screen and the report.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pcap::{Active, Capture};

use super::writer::{InterfaceCounters, InterfaceDesc};

/// How the interfaces are opened.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Interface names; `any` is libpcap's every-interface device (Linux).
    pub interfaces: Vec<String>,
    /// A BPF capture filter (tcpdump's syntax); empty for every packet.
    pub filter: String,
    /// Bytes kept of each packet.
    pub snaplen: u32,
    pub promiscuous: bool,
    /// The kernel's buffer per interface, in bytes: what absorbs a burst
    /// while the analysis catches up.
    pub buffer_bytes: u32,
}

/// One packet as captured.
#[derive(Debug, Clone)]
pub struct LivePacket {
    /// Index of its interface in [`LiveCapture::interfaces`].
    pub interface: u32,
    pub ts_ns: i64,
    pub orig_len: u32,
    pub data: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error(
        "no permission to capture on {interface}: run as root (sudo), or give the program \
         the capture capabilities once: sudo setcap cap_net_raw,cap_net_admin=eip {program}"
    )]
    Permission { interface: String, program: String },
    #[error("no interface {0:?} to capture on (`callscope live --list-interfaces` lists them)")]
    NoSuchInterface(String),
    #[error("capture filter {filter:?} on {interface}: {message}")]
    Filter {
        interface: String,
        filter: String,
        message: String,
    },
    #[error("capturing on {interface}: {message}")]
    Pcap { interface: String, message: String },
    #[error("listing interfaces: {0}")]
    List(String),
    #[error("--user {user}: {message}")]
    User { user: String, message: String },
}

/// What libpcap counted for one interface, kept current while capturing.
#[derive(Debug, Default)]
pub struct InterfaceStats {
    pub received: AtomicU64,
    pub dropped_by_kernel: AtomicU64,
    pub dropped_by_interface: AtomicU64,
}

impl InterfaceStats {
    pub fn counters(&self) -> InterfaceCounters {
        InterfaceCounters {
            received: self.received.load(Ordering::Relaxed),
            dropped_by_kernel: self.dropped_by_kernel.load(Ordering::Relaxed),
            dropped_by_interface: self.dropped_by_interface.load(Ordering::Relaxed),
        }
    }
}

/// An interface on this machine, for `--list-interfaces`.
#[derive(Debug, Clone)]
pub struct InterfaceListing {
    pub name: String,
    pub description: Option<String>,
    pub addresses: Vec<IpAddr>,
    pub up: bool,
    pub running: bool,
    pub loopback: bool,
}

/// Interfaces libpcap can open here.
pub fn list_interfaces() -> Result<Vec<InterfaceListing>, LiveError> {
    let devices = pcap::Device::list().map_err(|e| LiveError::List(e.to_string()))?;
    Ok(devices
        .into_iter()
        .map(|d| InterfaceListing {
            up: d.flags.is_up(),
            running: d.flags.is_running(),
            loopback: d.flags.is_loopback(),
            addresses: d.addresses.iter().map(|a| a.addr).collect(),
            name: d.name,
            description: d.desc,
        })
        .collect())
}

/// libpcap says "permission" in its words, or the system's EPERM/EACCES.
fn is_permission_error(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("permission") || m.contains("not permitted")
}

fn open_error(interface: &str, e: pcap::Error) -> LiveError {
    let message = e.to_string();
    if is_permission_error(&message) {
        LiveError::Permission {
            interface: interface.to_string(),
            program: std::env::args()
                .next()
                .unwrap_or_else(|| "callscope".into()),
        }
    } else if message.contains("No such device") || message.contains("doesn't exist") {
        LiveError::NoSuchInterface(interface.to_string())
    } else {
        LiveError::Pcap {
            interface: interface.to_string(),
            message,
        }
    }
}

/// How long a reading thread waits for a packet before it looks at the
/// stop flag and hands over what it holds.
const READ_TIMEOUT_MS: i32 = 50;
/// Packets a reading thread hands over at once, at most.
const CHUNK_PACKETS: usize = 256;
/// A chunk is handed over this long after its first packet at the latest:
/// what a packet waits here under a slow trickle.
const CHUNK_WAIT: Duration = Duration::from_millis(20);
/// Chunks waiting between the reading threads and the analysis: about
/// 16 000 packets, 16 MB at full snap length, before the threads wait and
/// the kernel's buffer takes over.
const CHUNKS_IN_FLIGHT: usize = 64;
/// How often a reading thread reads libpcap's counters.
const STATS_EVERY: Duration = Duration::from_millis(250);

/// Opened interfaces, not yet capturing.
pub struct LiveCapture {
    handles: Vec<Capture<Active>>,
    interfaces: Vec<InterfaceDesc>,
}

impl LiveCapture {
    /// Opens every interface and sets the filter: all before any packet is
    /// read, so a privilege drop can follow.
    pub fn open(options: &LiveOptions) -> Result<Self, LiveError> {
        let mut handles = Vec::new();
        let mut interfaces = Vec::new();
        for name in &options.interfaces {
            let inactive = Capture::from_device(name.as_str())
                .map_err(|e| open_error(name, e))?
                .promisc(options.promiscuous)
                .snaplen(options.snaplen.min(i32::MAX as u32) as i32)
                .immediate_mode(true)
                .timeout(READ_TIMEOUT_MS)
                .buffer_size(options.buffer_bytes.min(i32::MAX as u32) as i32);
            // Nanosecond time stamps where the system has them (Linux).
            #[cfg(target_os = "linux")]
            let inactive = inactive.precision(pcap::Precision::Nano);
            // Non-blocking, and waited on with poll() here: a blocking read
            // in immediate mode may not return on its timeout, and a stop
            // must be seen within READ_TIMEOUT_MS.
            let mut active = inactive
                .open()
                .and_then(|c| c.setnonblock())
                .map_err(|e| open_error(name, e))?;
            let mut filter = options.filter.clone();
            if !filter.is_empty() {
                let mut set = active.filter(&filter, true);
                // The default's VLAN part is refused on links without VLAN
                // tags (Linux's `any`): the rest of it is what they need.
                if set.is_err() && filter == super::DEFAULT_LIVE_FILTER {
                    filter = super::DEFAULT_LIVE_FILTER_NO_VLAN.to_string();
                    set = active.filter(&filter, true);
                }
                set.map_err(|e| LiveError::Filter {
                    interface: name.clone(),
                    filter: filter.clone(),
                    message: e.to_string(),
                })?;
            }
            interfaces.push(InterfaceDesc {
                name: name.clone(),
                link_type: active.get_datalink().0 as u32,
                snaplen: options.snaplen,
                filter: (!filter.is_empty()).then_some(filter),
            });
            handles.push(active);
        }
        Ok(Self {
            handles,
            interfaces,
        })
    }

    pub fn interfaces(&self) -> &[InterfaceDesc] {
        &self.interfaces
    }

    /// Starts one reading thread per interface. They run until `stop` is
    /// set (within [`READ_TIMEOUT_MS`]) or an interface fails; the channel
    /// closes when every one has ended.
    pub fn start(self, stop: Arc<AtomicBool>) -> std::io::Result<RunningCapture> {
        let (tx, rx) = mpsc::sync_channel(CHUNKS_IN_FLIGHT);
        let stats: Arc<Vec<InterfaceStats>> = Arc::new(
            (0..self.handles.len())
                .map(|_| InterfaceStats::default())
                .collect(),
        );
        let mut threads = Vec::new();
        for (i, handle) in self.handles.into_iter().enumerate() {
            let (tx, stop, stats) = (tx.clone(), stop.clone(), stats.clone());
            let name = self.interfaces[i].name.clone();
            threads.push(
                std::thread::Builder::new()
                    .name(format!("callscope-cap-{i}"))
                    .spawn(move || {
                        read_interface(i as u32, &name, handle, &tx, &stop, &stats[i])
                    })?,
            );
        }
        Ok(RunningCapture {
            packets: rx,
            threads,
            stats,
        })
    }
}

/// Interfaces capturing.
pub struct RunningCapture {
    /// Chunks of packets in the order each interface read them.
    pub packets: Receiver<Vec<LivePacket>>,
    threads: Vec<JoinHandle<Result<(), LiveError>>>,
    /// libpcap's counters per interface, in interface order.
    pub stats: Arc<Vec<InterfaceStats>>,
}

impl RunningCapture {
    /// The counters of every interface now.
    pub fn counters(&self) -> Vec<InterfaceCounters> {
        self.stats.iter().map(InterfaceStats::counters).collect()
    }

    /// Waits for the reading threads (after `stop` was set and the channel
    /// drained); the first interface error, if one failed.
    pub fn join(self) -> Result<(), LiveError> {
        let mut first = Ok(());
        for t in self.threads {
            let r = t.join().unwrap_or_else(|_| {
                Err(LiveError::Pcap {
                    interface: "?".into(),
                    message: "the reading thread panicked".into(),
                })
            });
            if first.is_ok() {
                first = r;
            }
        }
        first
    }
}

/// libpcap's counters are 32-bit and wrap: kept as 64-bit totals by adding
/// each change.
struct WrappingTotal {
    last: u32,
}

impl WrappingTotal {
    fn add(&mut self, now: u32, total: &AtomicU64) {
        total.fetch_add(now.wrapping_sub(self.last) as u64, Ordering::Relaxed);
        self.last = now;
    }
}

/// A packet's time stamp (`timeval`, whose fields are 32 or 64 bits by
/// platform) in nanoseconds since the epoch.
fn timestamp_ns(seconds: impl Into<i64>, fraction: impl Into<i64>) -> i64 {
    // With nanosecond precision (asked for on Linux), the second field
    // holds nanoseconds.
    let fraction: i64 = fraction.into();
    #[cfg(not(target_os = "linux"))]
    let fraction = fraction * 1_000;
    seconds
        .into()
        .saturating_mul(1_000_000_000)
        .saturating_add(fraction)
}

fn read_interface(
    interface: u32,
    name: &str,
    mut handle: Capture<Active>,
    tx: &SyncSender<Vec<LivePacket>>,
    stop: &AtomicBool,
    stats: &InterfaceStats,
) -> Result<(), LiveError> {
    let mut totals = [
        WrappingTotal { last: 0 },
        WrappingTotal { last: 0 },
        WrappingTotal { last: 0 },
    ];
    let mut read_stats = |handle: &mut Capture<Active>| {
        if let Ok(s) = handle.stats() {
            totals[0].add(s.received, &stats.received);
            totals[1].add(s.dropped, &stats.dropped_by_kernel);
            totals[2].add(s.if_dropped, &stats.dropped_by_interface);
        }
    };
    let mut chunk: Vec<LivePacket> = Vec::with_capacity(CHUNK_PACKETS);
    let mut chunk_started = Instant::now();
    let mut stats_at = Instant::now();
    let mut result = Ok(());
    while !stop.load(Ordering::Relaxed) {
        match handle.next_packet() {
            Ok(p) => {
                if chunk.is_empty() {
                    chunk_started = Instant::now();
                }
                chunk.push(LivePacket {
                    interface,
                    ts_ns: timestamp_ns(p.header.ts.tv_sec, p.header.ts.tv_usec),
                    orig_len: p.header.len,
                    data: p.data.to_vec(),
                });
            }
            // Nothing waiting: sleep until the interface has a packet, or
            // the timeout (to see the stop flag and hand over the chunk).
            Err(pcap::Error::TimeoutExpired) => wait_readable(&handle),
            Err(e) => {
                result = Err(LiveError::Pcap {
                    interface: name.to_string(),
                    message: e.to_string(),
                });
                break;
            }
        }
        if !chunk.is_empty()
            && (chunk.len() >= CHUNK_PACKETS || chunk_started.elapsed() >= CHUNK_WAIT)
        {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_PACKETS));
            if tx.send(full).is_err() {
                return result;
            }
        }
        if stats_at.elapsed() >= STATS_EVERY {
            read_stats(&mut handle);
            stats_at = Instant::now();
        }
    }
    read_stats(&mut handle);
    if !chunk.is_empty() {
        let _ = tx.send(chunk);
    }
    result
}

fn wait_readable(handle: &Capture<Active>) {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use std::os::fd::AsFd;
    let mut fds = [PollFd::new(handle.as_fd(), PollFlags::POLLIN)];
    // An interrupted or failed poll only means one more turn of the loop.
    let _ = poll(&mut fds, PollTimeout::from(READ_TIMEOUT_MS as u16));
}

/// Drops root for `user` (its uid, gid and groups), as tcpdump's `-Z`
/// does: after the interfaces are open, before any packet is read or file
/// written.
pub fn drop_privileges(user: &str) -> Result<(), LiveError> {
    use nix::unistd::{setgid, setuid, User};
    let fail = |message: String| LiveError::User {
        user: user.to_string(),
        message,
    };
    let u = User::from_name(user)
        .map_err(|e| fail(e.to_string()))?
        .ok_or_else(|| fail("no such user".into()))?;
    // Supplementary groups first (needs root), then the group, then the
    // user: in the other order the later calls are no longer allowed.
    let name = std::ffi::CString::new(user).map_err(|e| fail(e.to_string()))?;
    #[cfg(target_os = "linux")]
    nix::unistd::initgroups(&name, u.gid).map_err(|e| fail(format!("initgroups: {e}")))?;
    #[cfg(not(target_os = "linux"))]
    {
        let _ = name;
        nix::unistd::setgroups(&[u.gid]).map_err(|e| fail(format!("setgroups: {e}")))?;
    }
    setgid(u.gid).map_err(|e| fail(format!("setgid: {e}")))?;
    setuid(u.uid).map_err(|e| fail(format!("setuid: {e}")))?;
    // Root must be gone for good.
    if setuid(nix::unistd::Uid::from_raw(0)).is_ok() {
        return Err(fail("root could be taken back after the drop".into()));
    }
    Ok(())
}
