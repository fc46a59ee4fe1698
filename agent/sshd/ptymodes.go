package sshd

import (
	"encoding/binary"
	"math"
	"os"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/sys/unix"
)

// ptyRequest is a client's pty-req (RFC 4254 section 6.2).
type ptyRequest struct {
	term  string
	win   unix.Winsize
	modes []byte // encoded terminal modes, section 8
}

func parsePtyRequest(payload []byte) (*ptyRequest, error) {
	var r struct {
		Term                      string
		Cols, Rows, Width, Height uint32
		Modes                     string
	}
	if err := gossh.Unmarshal(payload, &r); err != nil {
		return nil, err
	}
	return &ptyRequest{term: r.Term, win: winsize(r.Cols, r.Rows, r.Width, r.Height), modes: []byte(r.Modes)}, nil
}

func winsize(cols, rows, width, height uint32) unix.Winsize {
	c := func(v uint32) uint16 { return uint16(min(v, math.MaxUint16)) }
	return unix.Winsize{Col: c(cols), Row: c(rows), Xpixel: c(width), Ypixel: c(height)}
}

// ttyMode is one opcode and argument of the encoded terminal modes.
type ttyMode struct {
	op  uint8
	arg uint32
}

// parseModes decodes terminal modes: opcode-argument pairs up to
// TTY_OP_END. Opcodes 160 and up have no defined argument and stop the
// parsing, as RFC 4254 says; so does a truncated pair.
func parseModes(b []byte) []ttyMode {
	var modes []ttyMode
	for len(b) >= 5 {
		op := b[0]
		if op == 0 || op >= 160 {
			break
		}
		modes = append(modes, ttyMode{op: op, arg: binary.BigEndian.Uint32(b[1:5])})
		b = b[5:]
	}
	return modes
}

// Terminal modes and their Linux termios counterparts.
var (
	ccModes = map[uint8]int{
		gossh.VINTR: unix.VINTR, gossh.VQUIT: unix.VQUIT, gossh.VERASE: unix.VERASE,
		gossh.VKILL: unix.VKILL, gossh.VEOF: unix.VEOF, gossh.VEOL: unix.VEOL,
		gossh.VEOL2: unix.VEOL2, gossh.VSTART: unix.VSTART, gossh.VSTOP: unix.VSTOP,
		gossh.VSUSP: unix.VSUSP, gossh.VREPRINT: unix.VREPRINT, gossh.VWERASE: unix.VWERASE,
		gossh.VLNEXT: unix.VLNEXT, gossh.VDISCARD: unix.VDISCARD, gossh.VSWTCH: unix.VSWTC,
	}
	iflagModes = map[uint8]uint32{
		gossh.IGNPAR: unix.IGNPAR, gossh.PARMRK: unix.PARMRK, gossh.INPCK: unix.INPCK,
		gossh.ISTRIP: unix.ISTRIP, gossh.INLCR: unix.INLCR, gossh.IGNCR: unix.IGNCR,
		gossh.ICRNL: unix.ICRNL, gossh.IUCLC: unix.IUCLC, gossh.IXON: unix.IXON,
		gossh.IXANY: unix.IXANY, gossh.IXOFF: unix.IXOFF, gossh.IMAXBEL: unix.IMAXBEL,
		gossh.IUTF8: unix.IUTF8,
	}
	lflagModes = map[uint8]uint32{
		gossh.ISIG: unix.ISIG, gossh.ICANON: unix.ICANON, gossh.XCASE: unix.XCASE,
		gossh.ECHO: unix.ECHO, gossh.ECHOE: unix.ECHOE, gossh.ECHOK: unix.ECHOK,
		gossh.ECHONL: unix.ECHONL, gossh.NOFLSH: unix.NOFLSH, gossh.TOSTOP: unix.TOSTOP,
		gossh.IEXTEN: unix.IEXTEN, gossh.ECHOCTL: unix.ECHOCTL, gossh.ECHOKE: unix.ECHOKE,
		gossh.PENDIN: unix.PENDIN,
	}
	oflagModes = map[uint8]uint32{
		gossh.OPOST: unix.OPOST, gossh.OLCUC: unix.OLCUC, gossh.ONLCR: unix.ONLCR,
		gossh.OCRNL: unix.OCRNL, gossh.ONOCR: unix.ONOCR, gossh.ONLRET: unix.ONLRET,
	}
	cflagModes = map[uint8]uint32{gossh.PARENB: unix.PARENB, gossh.PARODD: unix.PARODD}
)

// setModes applies modes to t the way sshd does; modes Linux lacks (and
// the line speeds, meaningless on a pty) are ignored.
func setModes(t *unix.Termios, modes []ttyMode) {
	flag := func(f *uint32, bit uint32, on bool) {
		if on {
			*f |= bit
		} else {
			*f &^= bit
		}
	}
	for _, m := range modes {
		on := m.arg != 0
		if i, ok := ccModes[m.op]; ok {
			c := uint8(m.arg)
			if m.arg == 255 || m.arg > 255 {
				c = 0 // 255 is OpenSSH's "disabled", _POSIX_VDISABLE on Linux
			}
			t.Cc[i] = c
			continue
		}
		switch m.op {
		case gossh.CS7:
			if on {
				t.Cflag = t.Cflag&^unix.CSIZE | unix.CS7
			}
		case gossh.CS8:
			if on {
				t.Cflag = t.Cflag&^unix.CSIZE | unix.CS8
			}
		}
		if bit, ok := iflagModes[m.op]; ok {
			flag(&t.Iflag, bit, on)
		} else if bit, ok := lflagModes[m.op]; ok {
			flag(&t.Lflag, bit, on)
		} else if bit, ok := oflagModes[m.op]; ok {
			flag(&t.Oflag, bit, on)
		} else if bit, ok := cflagModes[m.op]; ok {
			flag(&t.Cflag, bit, on)
		}
	}
}

// applyModes sets the client's terminal modes on tty.
func applyModes(tty *os.File, encoded []byte) error {
	modes := parseModes(encoded)
	if len(modes) == 0 {
		return nil
	}
	fd := int(tty.Fd())
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	setModes(t, modes)
	return unix.IoctlSetTermios(fd, unix.TCSETS, t)
}
