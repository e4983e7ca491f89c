//! A seed's progress as a person sees it: on a terminal, a bar while writing and a spinner with
//! the phase's name otherwise; every finished phase leaves one line with its time, which is all
//! that logs and CI get.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use super::{Phase, Progress};

pub struct ProgressDisplay {
    /// Activities to write.
    total: u64,
    /// `None` off a terminal.
    bar: Option<ProgressBar>,
    phase: Option<(Phase, Instant)>,
}

impl ProgressDisplay {
    pub fn new(total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(ProgressBar::new_spinner);
        ProgressDisplay { total, bar, phase: None }
    }

    pub fn update(&mut self, progress: Progress) {
        match progress {
            Progress::Phase(phase) => {
                self.end_phase();
                self.phase = Some((phase, Instant::now()));
                let Some(bar) = &self.bar else { return };
                let template = if phase == Phase::Writing {
                    bar.set_length(self.total);
                    bar.set_position(0);
                    "seed: {msg} {bar:40} {human_pos}/{human_len}  {per_sec}  (eta {eta})"
                } else {
                    "seed: {msg} {spinner} {elapsed}"
                };
                if let Ok(style) = ProgressStyle::with_template(template) {
                    bar.set_style(style);
                }
                bar.set_message(phase.name());
                bar.enable_steady_tick(Duration::from_millis(120));
            }
            Progress::Written(written) => {
                if let Some(bar) = &self.bar {
                    bar.set_position(written);
                }
            }
        }
    }

    /// Ends the last phase's line and clears the bar.
    pub fn finish(mut self) {
        self.end_phase();
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn end_phase(&mut self) {
        let Some((phase, started)) = self.phase.take() else { return };
        let line = format!("seed: {} done in {:.1} s", phase.name(), started.elapsed().as_secs_f64());
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }
}
