/*
 * rtlsdr-file: a stand-in for librtlsdr.so.0 that plays an IQ file instead of
 * reading an RTL-SDR dongle, so that a peer decoder built against librtlsdr
 * (acarsdec, ...) can be run on the same recordings as skyspy, with the peer's
 * own signal path untouched.
 *
 * Build (scripts/peers/build-acarsdec does this):
 *   cc -O2 -fPIC -shared -Wl,-soname,librtlsdr.so.0 -o librtlsdr.so.0 \
 *      rtlsdr-file.c -lpthread
 * Prototypes come from librtlsdr's public header <rtl-sdr.h> (Debian:
 * librtlsdr-dev), so the ABI is the one the peer was compiled against.
 *
 * Environment:
 *   RTLSDR_FILE             path of the cu8 file to play (interleaved unsigned
 *                           8-bit I/Q, as rtl_sdr writes); "-" = stdin. Required.
 *   RTLSDR_FILE_RATE        optional: the file's sample rate (Hz; k/M suffix ok).
 *                           If set, a different rate asked by the peer is
 *                           refused (rtlsdr_set_sample_rate returns -1).
 *   RTLSDR_FILE_CENTER      optional: the file's centre frequency, same rules.
 *   RTLSDR_FILE_ALLOW_MISMATCH=1  only warn on rate/centre mismatch.
 *   RTLSDR_FILE_PARTIAL=1   deliver a short last buffer at EOF (default: the
 *                           trailing partial buffer is dropped, as a real
 *                           dongle only ever delivers whole buffers).
 *   RTLSDR_FILE_DRAIN_MS    after EOF, wait up to this long (default 3000) for
 *                           the peer's other threads to go idle before
 *                           read_async returns (acarsdec drops messages still
 *                           queued when it shuts down).
 *   RTLSDR_FILE_EXIT_AT_EOF=1  after EOF and the drain, flush stdio and exit(0)
 *                           instead of returning from read_async.
 *   RTLSDR_FILE_CLOCK=file  make gettimeofday() return file time
 *                           (RTLSDR_FILE_EPOCH + samples played / rate, at the
 *                           middle of the buffer being processed) while the
 *                           file plays, so the peer's timestamps line up with
 *                           the file; resolution is one buffer.
 *   RTLSDR_FILE_EPOCH       seconds (may be fractional) added to file time
 *                           (default 0).
 *
 * Samples are delivered as fast as the callback consumes them; there is no
 * real-time pacing. Everything the shim says goes to stderr, prefixed
 * "rtlsdr-file:".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <rtl-sdr.h>

#define SHIM_PUBLIC __attribute__((visibility("default")))

struct rtlsdr_dev {
	FILE *in;
	const char *path;
	uint32_t center_hz;
	uint32_t rate_hz;
	uint32_t xtal_rtl, xtal_tuner;
	int ppm;
	int gain_manual;
	int gain;
	int agc;
	int bias_tee;
	int direct_sampling;
	int offset_tuning;
	uint64_t bytes_delivered;
	volatile int cancel;
	int eof;
};

/* R820T gain steps in tenths of dB: what a common dongle reports */
static const int shim_gains[] = {
	0, 9, 14, 27, 37, 77, 87, 125, 144, 157, 166, 197, 207, 229, 254,
	280, 297, 328, 338, 364, 372, 386, 402, 421, 434, 439, 445, 480, 496
};
#define N_GAINS ((int)(sizeof(shim_gains) / sizeof(shim_gains[0])))

static const char SHIM_VENDOR[] = "SkySpy";
static const char SHIM_PRODUCT[] = "rtlsdr-file shim";
static const char SHIM_SERIAL[] = "00000001";

/* file clock state, read by gettimeofday() from any thread */
static volatile int clock_active;
static volatile double clock_now_s;

static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("rtlsdr-file: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int env_flag(const char *name)
{
	const char *v = getenv(name);
	return v && *v && strcmp(v, "0") != 0;
}

/* "2.5M", "130.35M", "2500000", "12.5k" -> Hz; 0 when unset, -1 when unparsable */
static double env_hz(const char *name)
{
	const char *v = getenv(name);
	char *end;
	double x;

	if (!v || !*v)
		return 0;
	errno = 0;
	x = strtod(v, &end);
	if (errno || end == v)
		return -1;
	switch (*end) {
	case 'k': case 'K': x *= 1e3; end++; break;
	case 'm': case 'M': x *= 1e6; end++; break;
	case 'g': case 'G': x *= 1e9; end++; break;
	default: break;
	}
	if (*end == 'H' || *end == 'h')
		end += (end[1] == 'z' || end[1] == 'Z') ? 2 : 1;
	return *end ? -1 : x;
}

/* 0 when the value asked for is acceptable, -1 when it must be refused */
static int check_against_env(const char *what, const char *var, uint32_t asked)
{
	double want = env_hz(var);

	if (want == 0)
		return 0;
	if (want < 0) {
		say("cannot parse %s=%s", var, getenv(var));
		return -1;
	}
	if ((double)asked == want)
		return 0;
	say("%s MISMATCH: peer asked for %u Hz but %s says the file is at %.0f Hz",
	    what, asked, var, want);
	if (env_flag("RTLSDR_FILE_ALLOW_MISMATCH")) {
		say("RTLSDR_FILE_ALLOW_MISMATCH is set: carrying on (decodes will be off)");
		return 0;
	}
	return -1;
}

/* ---- device enumeration ---- */

SHIM_PUBLIC uint32_t rtlsdr_get_device_count(void)
{
	return 1;
}

SHIM_PUBLIC const char *rtlsdr_get_device_name(uint32_t index)
{
	return index == 0 ? "rtlsdr-file (IQ file playback)" : "";
}

SHIM_PUBLIC int rtlsdr_get_device_usb_strings(uint32_t index, char *manufact,
					      char *product, char *serial)
{
	if (index != 0)
		return -1;
	if (manufact)
		snprintf(manufact, 256, "%s", SHIM_VENDOR);
	if (product)
		snprintf(product, 256, "%s", SHIM_PRODUCT);
	if (serial)
		snprintf(serial, 256, "%s", SHIM_SERIAL);
	return 0;
}

SHIM_PUBLIC int rtlsdr_get_index_by_serial(const char *serial)
{
	if (!serial)
		return -1;
	return strcmp(serial, SHIM_SERIAL) == 0 ? 0 : -3;
}

SHIM_PUBLIC int rtlsdr_open(rtlsdr_dev_t **out, uint32_t index)
{
	const char *path = getenv("RTLSDR_FILE");
	rtlsdr_dev_t *dev;

	if (!out)
		return -1;
	*out = NULL;
	if (index != 0) {
		say("no device %u (only device 0 exists)", index);
		return -1;
	}
	if (!path || !*path) {
		say("RTLSDR_FILE is not set: name the cu8 file to play");
		return -1;
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -1;
	if (strcmp(path, "-") == 0) {
		dev->in = stdin;
	} else {
		dev->in = fopen(path, "rb");
		if (!dev->in) {
			say("cannot open %s: %s", path, strerror(errno));
			free(dev);
			return -1;
		}
	}
	dev->path = path;
	dev->xtal_rtl = dev->xtal_tuner = 28800000;
	say("playing %s", path);
	*out = dev;
	return 0;
}

SHIM_PUBLIC int rtlsdr_close(rtlsdr_dev_t *dev)
{
	if (!dev)
		return -1;
	say("close after %llu bytes (%.3f s at %u S/s)",
	    (unsigned long long)dev->bytes_delivered,
	    dev->rate_hz ? dev->bytes_delivered / 2.0 / dev->rate_hz : 0.0,
	    dev->rate_hz);
	if (dev->in && dev->in != stdin)
		fclose(dev->in);
	clock_active = 0;
	free(dev);
	return 0;
}

/* ---- configuration: remembered and logged, never applied to the data ---- */

SHIM_PUBLIC int rtlsdr_set_xtal_freq(rtlsdr_dev_t *dev, uint32_t rtl_freq, uint32_t tuner_freq)
{
	if (!dev)
		return -1;
	if (rtl_freq)
		dev->xtal_rtl = rtl_freq;
	if (tuner_freq)
		dev->xtal_tuner = tuner_freq;
	return 0;
}

SHIM_PUBLIC int rtlsdr_get_xtal_freq(rtlsdr_dev_t *dev, uint32_t *rtl_freq, uint32_t *tuner_freq)
{
	if (!dev)
		return -1;
	if (rtl_freq)
		*rtl_freq = dev->xtal_rtl;
	if (tuner_freq)
		*tuner_freq = dev->xtal_tuner;
	return 0;
}

SHIM_PUBLIC int rtlsdr_get_usb_strings(rtlsdr_dev_t *dev, char *manufact, char *product, char *serial)
{
	if (!dev)
		return -1;
	return rtlsdr_get_device_usb_strings(0, manufact, product, serial);
}

SHIM_PUBLIC int rtlsdr_write_eeprom(rtlsdr_dev_t *dev, uint8_t *data, uint8_t offset, uint16_t len)
{
	(void)data; (void)offset; (void)len;
	return dev ? -3 : -1;	/* "no EEPROM" */
}

SHIM_PUBLIC int rtlsdr_read_eeprom(rtlsdr_dev_t *dev, uint8_t *data, uint8_t offset, uint16_t len)
{
	(void)data; (void)offset; (void)len;
	return dev ? -3 : -1;
}

SHIM_PUBLIC int rtlsdr_set_center_freq(rtlsdr_dev_t *dev, uint32_t freq)
{
	if (!dev)
		return -1;
	say("centre frequency set to %u Hz (%.6f MHz)", freq, freq / 1e6);
	if (check_against_env("centre frequency", "RTLSDR_FILE_CENTER", freq))
		return -1;
	dev->center_hz = freq;
	return 0;
}

SHIM_PUBLIC uint32_t rtlsdr_get_center_freq(rtlsdr_dev_t *dev)
{
	return dev ? dev->center_hz : 0;
}

SHIM_PUBLIC int rtlsdr_set_freq_correction(rtlsdr_dev_t *dev, int ppm)
{
	if (!dev)
		return -1;
	if (ppm != dev->ppm)
		say("frequency correction %d ppm requested (no effect on a file)", ppm);
	dev->ppm = ppm;
	return 0;
}

SHIM_PUBLIC int rtlsdr_get_freq_correction(rtlsdr_dev_t *dev)
{
	return dev ? dev->ppm : 0;
}

SHIM_PUBLIC enum rtlsdr_tuner rtlsdr_get_tuner_type(rtlsdr_dev_t *dev)
{
	return dev ? RTLSDR_TUNER_R820T : RTLSDR_TUNER_UNKNOWN;
}

SHIM_PUBLIC int rtlsdr_get_tuner_gains(rtlsdr_dev_t *dev, int *gains)
{
	if (!dev)
		return -1;
	if (gains)
		memcpy(gains, shim_gains, sizeof(shim_gains));
	return N_GAINS;
}

SHIM_PUBLIC int rtlsdr_set_tuner_gain(rtlsdr_dev_t *dev, int gain)
{
	if (!dev)
		return -1;
	say("tuner gain %.1f dB requested (no effect on a file)", gain / 10.0);
	dev->gain = gain;
	return 0;
}

SHIM_PUBLIC int rtlsdr_set_tuner_bandwidth(rtlsdr_dev_t *dev, uint32_t bw)
{
	if (!dev)
		return -1;
	say("tuner bandwidth %u Hz requested (no effect on a file)", bw);
	return 0;
}

SHIM_PUBLIC int rtlsdr_get_tuner_gain(rtlsdr_dev_t *dev)
{
	return dev ? dev->gain : 0;
}

SHIM_PUBLIC int rtlsdr_set_tuner_if_gain(rtlsdr_dev_t *dev, int stage, int gain)
{
	(void)stage; (void)gain;
	return dev ? 0 : -1;
}

SHIM_PUBLIC int rtlsdr_set_tuner_gain_mode(rtlsdr_dev_t *dev, int manual)
{
	if (!dev)
		return -1;
	say("tuner gain mode: %s (no effect on a file)", manual ? "manual" : "auto");
	dev->gain_manual = manual;
	return 0;
}

SHIM_PUBLIC int rtlsdr_set_sample_rate(rtlsdr_dev_t *dev, uint32_t rate)
{
	if (!dev)
		return -1;
	say("sample rate set to %u S/s (%.4f MS/s)", rate, rate / 1e6);
	if (rate == 0)
		return -1;
	if (check_against_env("sample rate", "RTLSDR_FILE_RATE", rate))
		return -1;
	dev->rate_hz = rate;
	return 0;
}

SHIM_PUBLIC uint32_t rtlsdr_get_sample_rate(rtlsdr_dev_t *dev)
{
	return dev ? dev->rate_hz : 0;
}

SHIM_PUBLIC int rtlsdr_set_testmode(rtlsdr_dev_t *dev, int on)
{
	(void)on;
	return dev ? 0 : -1;
}

SHIM_PUBLIC int rtlsdr_set_agc_mode(rtlsdr_dev_t *dev, int on)
{
	if (!dev)
		return -1;
	say("RTL2832 AGC %s requested (no effect on a file)", on ? "on" : "off");
	dev->agc = on;
	return 0;
}

SHIM_PUBLIC int rtlsdr_set_direct_sampling(rtlsdr_dev_t *dev, int on)
{
	if (!dev)
		return -1;
	if (on)
		say("direct sampling mode %d requested (no effect on a file)", on);
	dev->direct_sampling = on;
	return 0;
}

SHIM_PUBLIC int rtlsdr_get_direct_sampling(rtlsdr_dev_t *dev)
{
	return dev ? dev->direct_sampling : -1;
}

SHIM_PUBLIC int rtlsdr_set_offset_tuning(rtlsdr_dev_t *dev, int on)
{
	if (!dev)
		return -1;
	dev->offset_tuning = on;
	return 0;
}

SHIM_PUBLIC int rtlsdr_get_offset_tuning(rtlsdr_dev_t *dev)
{
	return dev ? dev->offset_tuning : -1;
}

SHIM_PUBLIC int rtlsdr_set_bias_tee(rtlsdr_dev_t *dev, int on)
{
	if (!dev)
		return -1;
	dev->bias_tee = on;
	return 0;
}

SHIM_PUBLIC int rtlsdr_set_bias_tee_gpio(rtlsdr_dev_t *dev, int gpio, int on)
{
	(void)gpio;
	return rtlsdr_set_bias_tee(dev, on);
}

SHIM_PUBLIC int rtlsdr_reset_buffer(rtlsdr_dev_t *dev)
{
	return dev ? 0 : -1;
}

/* ---- streaming ---- */

/* read up to len bytes, retrying short reads (pipes); returns bytes read */
static size_t fill(rtlsdr_dev_t *dev, unsigned char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		size_t n = fread(buf + got, 1, len - got, dev->in);
		if (n == 0) {
			if (ferror(dev->in))
				say("read error on %s: %s", dev->path, strerror(errno));
			dev->eof = 1;
			break;
		}
		got += n;
	}
	return got;
}

static void set_file_clock(rtlsdr_dev_t *dev, uint64_t first_byte, size_t len)
{
	static double epoch = -1;

	if (!dev->rate_hz)
		return;
	if (epoch < 0) {
		const char *e = getenv("RTLSDR_FILE_EPOCH");
		epoch = e ? strtod(e, NULL) : 0.0;
	}
	/* middle of the buffer: a peer stamping anything while it processes this
	   buffer is then off by at most half a buffer */
	clock_now_s = epoch + (first_byte + len / 2.0) / 2.0 / dev->rate_hz;
	clock_active = 1;
}

static double process_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wait until the rest of the process stops using CPU (the peer's message
   thread has emptied its queue), at most max_ms. */
static void drain(int max_ms)
{
	const int step_ms = 50;
	double before = process_cpu_s();
	int waited = 0;

	while (waited < max_ms) {
		double now;

		usleep(step_ms * 1000);
		waited += step_ms;
		now = process_cpu_s();
		if (now - before < 0.002)	/* under 4 % of a core: idle */
			break;
		before = now;
	}
}

static void finish(rtlsdr_dev_t *dev, size_t tail, int wait_idle)
{
	const char *d = getenv("RTLSDR_FILE_DRAIN_MS");
	int drain_ms = d ? atoi(d) : 3000;

	say("end of file after %llu bytes delivered (%.3f s at %u S/s)%s",
	    (unsigned long long)dev->bytes_delivered,
	    dev->rate_hz ? dev->bytes_delivered / 2.0 / dev->rate_hz : 0.0,
	    dev->rate_hz, dev->cancel ? " [cancelled by the peer]" : "");
	if (tail)
		say("dropped a trailing partial buffer of %zu bytes "
		    "(RTLSDR_FILE_PARTIAL=1 delivers it)", tail);
	if (wait_idle && drain_ms > 0 && !dev->cancel)
		drain(drain_ms);
	if (env_flag("RTLSDR_FILE_EXIT_AT_EOF")) {
		say("RTLSDR_FILE_EXIT_AT_EOF: exiting");
		fflush(NULL);
		exit(0);
	}
}

SHIM_PUBLIC int rtlsdr_read_async(rtlsdr_dev_t *dev, rtlsdr_read_async_cb_t cb,
				  void *ctx, uint32_t buf_num, uint32_t buf_len)
{
	unsigned char *buf;
	int partial = env_flag("RTLSDR_FILE_PARTIAL");
	int file_clock;
	size_t tail = 0;
	const char *c = getenv("RTLSDR_FILE_CLOCK");

	(void)buf_num;
	if (!dev || !cb)
		return -1;
	file_clock = c && strcmp(c, "file") == 0;
	if (buf_len == 0)
		buf_len = 16 * 32 * 512;
	buf = malloc(buf_len);
	if (!buf)
		return -1;
	say("streaming in buffers of %u bytes (%u samples), centre %u Hz, rate %u S/s%s",
	    buf_len, buf_len / 2, dev->center_hz, dev->rate_hz,
	    file_clock ? ", file clock" : "");
	if (!dev->rate_hz)
		say("warning: the peer never set a sample rate");
	dev->cancel = 0;

	while (!dev->cancel && !dev->eof) {
		size_t n = fill(dev, buf, buf_len);

		if (n < buf_len && !partial) {
			tail = n;
			break;
		}
		if (n == 0)
			break;
		if (file_clock)
			set_file_clock(dev, dev->bytes_delivered, n);
		cb(buf, (uint32_t)n, ctx);
		dev->bytes_delivered += n;
	}
	free(buf);
	finish(dev, tail, 1);
	return 0;
}

SHIM_PUBLIC int rtlsdr_wait_async(rtlsdr_dev_t *dev, rtlsdr_read_async_cb_t cb, void *ctx)
{
	return rtlsdr_read_async(dev, cb, ctx, 0, 0);
}

SHIM_PUBLIC int rtlsdr_cancel_async(rtlsdr_dev_t *dev)
{
	if (!dev)
		return -1;
	dev->cancel = 1;
	return 0;
}

SHIM_PUBLIC int rtlsdr_read_sync(rtlsdr_dev_t *dev, void *buf, int len, int *n_read)
{
	size_t n;

	if (n_read)
		*n_read = 0;
	if (!dev || !buf || len < 0)
		return -1;
	if (dev->eof)
		return -1;
	n = fill(dev, buf, (size_t)len);
	if (dev->rate_hz) {
		const char *c = getenv("RTLSDR_FILE_CLOCK");
		if (c && strcmp(c, "file") == 0)
			set_file_clock(dev, dev->bytes_delivered, n);
	}
	dev->bytes_delivered += n;
	if (n_read)
		*n_read = (int)n;
	if (n == 0) {
		finish(dev, 0, 0);
		return -1;
	}
	return 0;
}

/* ---- optional file clock ----
   Exported so that, the shim being loaded ahead of libc, the peer's calls to
   gettimeofday() land here. Outside RTLSDR_FILE_CLOCK=file playback it is the
   wall clock. */
SHIM_PUBLIC int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timespec ts;

	(void)tz;
	if (clock_active) {
		double t = clock_now_s;
		tv->tv_sec = (time_t)t;
		tv->tv_usec = (suseconds_t)((t - (double)tv->tv_sec) * 1e6);
		return 0;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}
