package srcds

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// TestQueryMalformedReply: a server answering A2S_INFO with a truncated
// reply must produce an error (go-a2s would index out of range).
func TestQueryMalformedReply(t *testing.T) {
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	go func() {
		buf := make([]byte, 1500)
		for {
			_, src, err := pc.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			_, _ = pc.WriteToUDPAddrPort([]byte{0xFF, 0xFF, 0xFF, 0xFF, 0x49, 17, 'a'}, src)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, _, err := Query(ctx, pc.LocalAddr().String()); err == nil {
		t.Fatal("Query accepted a truncated reply")
	}
}

// rawRCONServer accepts one connection and runs serve on it.
func rawRCONServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		serve(c)
	}()
	return ln.Addr().String()
}

func packet(id, typ int32, body string) []byte {
	b := make([]byte, 12, 14+len(body))
	binary.LittleEndian.PutUint32(b, uint32(len(body)+10))
	binary.LittleEndian.PutUint32(b[4:], uint32(id))
	binary.LittleEndian.PutUint32(b[8:], uint32(typ))
	return append(append(b, body...), 0, 0)
}

// readReq reads one request packet and returns its id.
func readReq(c net.Conn) (int32, error) {
	var hdr [12]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return 0, err
	}
	size := binary.LittleEndian.Uint32(hdr[:])
	if _, err := io.ReadFull(c, make([]byte, size-8)); err != nil {
		return 0, err
	}
	return int32(binary.LittleEndian.Uint32(hdr[4:])), nil
}

func TestRCONRejectsHugeReplyPacket(t *testing.T) {
	addr := rawRCONServer(t, func(c net.Conn) {
		id, err := readReq(c)
		if err != nil {
			return
		}
		c.Write(append(packet(id, 0, ""), packet(id, 2, "")...))
		if _, err := readReq(c); err != nil {
			return
		}
		// A size field of 1 GiB: the client must refuse, not allocate.
		c.Write([]byte{0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0})
		time.Sleep(time.Second)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, addr, "pw")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Exec(ctx, "status"); err == nil {
		t.Fatal("Exec accepted a 1 GiB packet")
	}
}

func TestRCONSkipsStrayPacketsAndHonoursContext(t *testing.T) {
	addr := rawRCONServer(t, func(c net.Conn) {
		id, err := readReq(c)
		if err != nil {
			return
		}
		c.Write(append(packet(id, 0, ""), packet(id, 2, "")...))
		cmd, err := readReq(c)
		if err != nil {
			return
		}
		marker, err := readReq(c)
		if err != nil {
			return
		}
		// A stray packet from an earlier exchange, the reply in two
		// parts, the mirrored marker and the engine's extra packet.
		c.Write(packet(cmd-1, 0, "\x00\x01\x00\x00"))
		c.Write(packet(cmd, 0, "part one, "))
		c.Write(packet(cmd, 0, "part two"))
		c.Write(packet(marker, 0, ""))
		c.Write(packet(marker, 0, "\x00\x01\x00\x00"))
		// Then say nothing for the second command.
		readReq(c)
		readReq(c)
		time.Sleep(5 * time.Second)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, addr, "pw")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out, err := c.Exec(ctx, "status")
	if err != nil || out != "part one, part two" {
		t.Fatalf("Exec: %q, %v", out, err)
	}
	short, cancel2 := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel2()
	if _, err := c.Exec(short, "status"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Exec on a silent server: %v, want context.DeadlineExceeded", err)
	}
}

func TestRCONRejectsBadCommands(t *testing.T) {
	c := &RCON{addr: "x"}
	for _, cmd := range []string{"", "a\x00b", string(make([]byte, MaxCommandLen+1))} {
		if _, err := c.Exec(context.Background(), cmd); err == nil {
			t.Errorf("Exec(%q...) accepted", cmd[:min(len(cmd), 8)])
		}
	}
}
