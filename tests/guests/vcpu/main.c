// SPDX-License-Identifier: MIT
// vcpu/main.c: vcpu_op: up/down of a second vCPU, vcpu_info, upcall vector, timers, runstate, every error.
#include "rt.h"

const char test_title[] = "vcpu_op on two vCPUs";

#define VCPUOP(cmd, id, arg) HC3(LAMINA_HC_vcpu_op, cmd, id, arg)
#define MAGIC1 0xfeedface12345678ull
#define MAGIC2 0x0123456789abcdefull

/* ---- the second vCPU ---- */
enum { AP_SPIN, AP_DOWN_SELF, AP_DOWN_BSP, AP_HALT };

uint8_t ap_stack[16384] __attribute__((aligned(16)));
volatile uint64_t ap_rdi, ap_rsp, ap_rflags;
volatile uint64_t ap_cr0, ap_cr3, ap_cr4, ap_efer, ap_fsbase, ap_gsbase;
volatile uint16_t ap_cs, ap_ss, ap_ds, ap_es, ap_tr, ap_ldtr;
volatile struct __attribute__((packed)) { uint16_t limit; uint64_t base; } ap_gdtr, ap_idtr;
volatile int ap_entries, ap_cmd;
volatile uint64_t ap_counter;
volatile long ap_down_ret = 12345, ap_ret_a = 12345, ap_ret_b = 12345, ap_ret_c = 12345;
volatile int ap_done;

/* Entry from vcpu_op UP: record rdi, rsp and rflags before anything changes them. */
__asm__(".text\n"
	".globl ap_entry\n"
	"ap_entry:\n"
	"	mov %rdi, ap_rdi(%rip)\n"
	"	mov %rsp, ap_rsp(%rip)\n"
	"	pushfq\n"
	"	popq ap_rflags(%rip)\n"
	"	call ap_main\n"
	"1:	cli\n"
	"	hlt\n"
	"	jmp 1b\n");
void ap_entry(void);
void ap_main(void);

static uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ __volatile__("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

#define CR(n) ({ uint64_t v_; __asm__ __volatile__("mov %%cr" #n ", %0" : "=r"(v_)); v_; })
#define SEG(s) ({ uint16_t v_; __asm__ __volatile__("mov %%" #s ", %0" : "=r"(v_)); v_; })

void ap_main(void)
{
	ap_cr0 = CR(0);
	ap_cr3 = CR(3);
	ap_cr4 = CR(4);
	ap_efer = rdmsr(0xc0000080);
	ap_fsbase = rdmsr(0xc0000100);
	ap_gsbase = rdmsr(0xc0000101);
	ap_cs = SEG(cs);
	ap_ss = SEG(ss);
	ap_ds = SEG(ds);
	ap_es = SEG(es);
	__asm__ __volatile__("str %0" : "=r"(ap_tr));
	__asm__ __volatile__("sldt %0" : "=r"(ap_ldtr));
	__asm__ __volatile__("sgdt %0" : "=m"(ap_gdtr));
	__asm__ __volatile__("sidt %0" : "=m"(ap_idtr));
	ap_entries++;
	for (;;) {
		ap_counter++;
		HC0(LAMINA_HC_null);   /* exits now and then, so the hypervisor can sync its clock */
		switch (ap_cmd) {
		case AP_DOWN_SELF:
			ap_cmd = AP_SPIN;
			ap_down_ret = VCPUOP(LAMINA_VCPUOP_DOWN, 1, 0);
			break;
		case AP_DOWN_BSP:
			/* Stop vCPU 0, try to stop ourselves as the last one, bring vCPU 0 back. */
			ap_cmd = AP_SPIN;
			ap_ret_a = VCPUOP(LAMINA_VCPUOP_DOWN, 0, 0);
			ap_ret_b = VCPUOP(LAMINA_VCPUOP_DOWN, 1, 0);
			ap_ret_c = VCPUOP(LAMINA_VCPUOP_IS_UP, 0, 0);
			VCPUOP(LAMINA_VCPUOP_UP, 0, 0);
			ap_done = 1;
			break;
		case AP_HALT:
			for (;;)
				__asm__ __volatile__("cli; hlt");
		}
	}
}

/* ---- vCPU 0 ---- */
static struct lamina_vcpu_up ctx;
static struct lamina_vcpu_info vi1 __attribute__((aligned(64)));
static struct lamina_vcpu_runstate_info rs_area __attribute__((aligned(64)));
static uint8_t page_buf[8192] __attribute__((aligned(4096)));

static void errors_without_vcpu1(void)
{
	for (unsigned cmd = 0; cmd <= LAMINA_VCPUOP_REGISTER_RUNSTATE_AREA; cmd++) {
		rt_expectf(VCPUOP(cmd, 2, 0), -LAMINA_ENOENT, "vcpu_op cmd %u on vCPU 2 (nr_vcpus 2) -> ENOENT", cmd);
		rt_expectf(VCPUOP(cmd, 1ull << 32, 0), -LAMINA_ENOENT,
			   "vcpu_op cmd %u on vCPU 2^32 (not truncated to 0) -> ENOENT", cmd);
	}
	rt_expect(VCPUOP(LAMINA_VCPUOP_IS_UP, ~0ull, 0), -LAMINA_ENOENT, "IS_UP on vCPU 2^64-1 -> ENOENT");
	rt_expect(VCPUOP(11, 0, 0), -LAMINA_ENOSYS, "vcpu_op cmd 11 -> ENOSYS");
	rt_expect(VCPUOP(1ull << 32, 0, 0), -LAMINA_ENOSYS, "vcpu_op cmd 2^32 -> ENOSYS (not truncated to UP)");

	rt_expect(VCPUOP(LAMINA_VCPUOP_IS_UP, 0, 0), 1, "IS_UP(0) -> 1");
	rt_expect(VCPUOP(LAMINA_VCPUOP_IS_UP, 1, 0), 0, "IS_UP(1) at boot -> 0");
	rt_expect(VCPUOP(LAMINA_VCPUOP_UP, 1, 0), -LAMINA_EINVAL, "UP(1) with arg 0, vCPU never ran -> EINVAL");
	rt_expect(VCPUOP(LAMINA_VCPUOP_DOWN, 1, 0), -LAMINA_EALREADY, "DOWN(1) while down -> EALREADY");
	rt_expect(VCPUOP(LAMINA_VCPUOP_DOWN, 0, 0), -LAMINA_EBUSY, "DOWN(0) on self, the last vCPU up -> EBUSY");
	rt_expect(VCPUOP(LAMINA_VCPUOP_UP, 0, &ctx), -LAMINA_EALREADY, "UP(0) while up -> EALREADY");
	rt_expect(VCPUOP(LAMINA_VCPUOP_UP, 1, RT_UNMAPPED), -LAMINA_EFAULT, "UP(1) with an unmapped context -> EFAULT");
	static struct lamina_vcpu_up far = { .cr3 = 1ull << 40 };
	rt_expect(VCPUOP(LAMINA_VCPUOP_UP, 1, &far), -LAMINA_EINVAL, "UP(1) with cr3 outside RAM -> EINVAL");
	rt_expect(VCPUOP(LAMINA_VCPUOP_IS_UP, 1, 0), 0, "after UP -> EFAULT/EINVAL vCPU 1 is still down");
	rt_expect(ap_entries, 0, "vCPU 1 ran no code yet");
}

static void vcpu_info(void)
{
	struct lamina_vcpu_register_info ri;

	ri.gpa = (uint64_t)&vi1 + 8;
	rt_expect(VCPUOP(LAMINA_VCPUOP_REGISTER_VCPU_INFO, 1, &ri), -LAMINA_EINVAL,
		  "REGISTER_VCPU_INFO gpa 8 bytes off 64-byte alignment -> EINVAL");
	ri.gpa = (uint64_t)&vi1 + 32;
	rt_expect(VCPUOP(LAMINA_VCPUOP_REGISTER_VCPU_INFO, 1, &ri), -LAMINA_EINVAL,
		  "REGISTER_VCPU_INFO gpa 32 bytes off 64-byte alignment -> EINVAL");
	ri.gpa = RT_BEYOND_RAM;
	rt_expect(VCPUOP(LAMINA_VCPUOP_REGISTER_VCPU_INFO, 1, &ri), -LAMINA_EINVAL,
		  "REGISTER_VCPU_INFO gpa beyond RAM -> EINVAL");
	ri.gpa = (RT_HOLE_GFN << 12) + 64;
	rt_expect(VCPUOP(LAMINA_VCPUOP_REGISTER_VCPU_INFO, 1, &ri), -LAMINA_EINVAL,
		  "REGISTER_VCPU_INFO gpa in the physmap hole -> EINVAL");
	ri.gpa = ~0ull << 6;
	rt_expect(VCPUOP(LAMINA_VCPUOP_REGISTER_VCPU_INFO, 1, &ri), -LAMINA_EINVAL,
		  "REGISTER_VCPU_INFO gpa 2^64-64 -> EINVAL");
	rt_expect(VCPUOP(LAMINA_VCPUOP_REGISTER_VCPU_INFO, 1, RT_UNMAPPED), -LAMINA_EFAULT,
		  "REGISTER_VCPU_INFO arg unmapped -> EFAULT");

	/* Before shared_info is mapped, the current contents are the boot state
	 * (upcalls masked, nothing pending); they must be copied all the same. */
	rt_memset(&vi1, 0xee, sizeof(vi1));
	ri.gpa = (uint64_t)&vi1;
	rt_expect(VCPUOP(LAMINA_VCPUOP_REGISTER_VCPU_INFO, 1, &ri), 0,
		  "REGISTER_VCPU_INFO for vCPU 1 before it is up (shared_info not mapped yet)");
	rt_expect(vi1.evtchn_upcall_mask, 1, "REGISTER_VCPU_INFO copied the boot state: upcall mask 1");
	rt_expect(vi1.evtchn_upcall_pending, 0, "REGISTER_VCPU_INFO copied the boot state: upcall_pending 0");
	rt_expect(vi1.evtchn_pending_sel, 0, "REGISTER_VCPU_INFO copied the boot state: pending_sel 0");
	rt_map_shared_info();
	rt_check(!rt_memcmp(&vi1, (const void *)&rt_shinfo->vcpu_info[1], 32),
		 "registered vcpu_info matches shared_info's old slot");
	rt_expect(VCPUOP(LAMINA_VCPUOP_REGISTER_VCPU_INFO, 1, &ri), -LAMINA_EEXIST,
		  "REGISTER_VCPU_INFO twice (same gpa) -> EEXIST");
	ri.gpa = (uint64_t)&vi1 + 64 * 2;
	rt_expect(VCPUOP(LAMINA_VCPUOP_REGISTER_VCPU_INFO, 1, &ri), -LAMINA_EEXIST,
		  "REGISTER_VCPU_INFO twice (another gpa) -> EEXIST");
}

/* Once registered, events for vCPU 1 are flagged in its new vcpu_info, not in shared_info. */
static void registered_delivery(void)
{
	struct lamina_evtchn_bind_ipi b = { .vcpu = 1 };
	struct lamina_evtchn_port p;

	rt_expect(HC2(LAMINA_HC_event_channel_op, LAMINA_EVTCHNOP_BIND_IPI, &b), 0, "BIND_IPI to vCPU 1");
	p.port = b.port;
	vi1.evtchn_upcall_pending = 0;
	vi1.evtchn_pending_sel = 0;
	rt_expect(rt_unmask(b.port), 0, "UNMASK the IPI port");
	rt_expect(HC2(LAMINA_HC_event_channel_op, LAMINA_EVTCHNOP_SEND, &p), 0, "SEND to vCPU 1 (down)");
	rt_expect(vi1.evtchn_upcall_pending, 1, "event for vCPU 1 sets upcall_pending in its registered vcpu_info");
	rt_check(vi1.evtchn_pending_sel & (1ull << (b.port / 64)), "... and its evtchn_pending_sel bit");
	rt_expect(rt_shinfo->vcpu_info[1].evtchn_upcall_pending, 0, "... not in the old shared_info slot");
	rt_expect(HC2(LAMINA_HC_event_channel_op, LAMINA_EVTCHNOP_CLOSE, &p), 0, "CLOSE the IPI port");
	vi1.evtchn_upcall_pending = 0;
	vi1.evtchn_pending_sel = 0;
}

static void upcall_vector(void)
{
	static const uint32_t bad[] = { 1, 0x10, 0x1f, 0x100, 0xffffffffu };
	struct lamina_vcpu_upcall_vector uv;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uv.vector = bad[i];
		rt_expectf(VCPUOP(LAMINA_VCPUOP_SET_UPCALL_VECTOR, 1, &uv), -LAMINA_EINVAL,
			   "SET_UPCALL_VECTOR 0x%x -> EINVAL", bad[i]);
	}
	uv.vector = 0x20;
	rt_expect(VCPUOP(LAMINA_VCPUOP_SET_UPCALL_VECTOR, 1, &uv), 0, "SET_UPCALL_VECTOR 0x20 (lowest allowed)");
	uv.vector = 0xff;
	rt_expect(VCPUOP(LAMINA_VCPUOP_SET_UPCALL_VECTOR, 1, &uv), 0, "SET_UPCALL_VECTOR 0xff (highest)");
	uv.vector = 0;
	rt_expect(VCPUOP(LAMINA_VCPUOP_SET_UPCALL_VECTOR, 1, &uv), 0, "SET_UPCALL_VECTOR 0 (off)");
	rt_expect(VCPUOP(LAMINA_VCPUOP_SET_UPCALL_VECTOR, 1, RT_UNMAPPED), -LAMINA_EFAULT,
		  "SET_UPCALL_VECTOR arg unmapped -> EFAULT");
}

static void runstate_area_errors(void)
{
	struct lamina_vcpu_register_info ri;

	ri.gpa = (uint64_t)&rs_area + 4;
	rt_expect(VCPUOP(LAMINA_VCPUOP_REGISTER_RUNSTATE_AREA, 1, &ri), -LAMINA_EINVAL,
		  "REGISTER_RUNSTATE_AREA gpa not 8-byte aligned -> EINVAL");
	ri.gpa = (uint64_t)page_buf + 4096 - 40;
	rt_expect(VCPUOP(LAMINA_VCPUOP_REGISTER_RUNSTATE_AREA, 1, &ri), -LAMINA_EINVAL,
		  "REGISTER_RUNSTATE_AREA 48 bytes crossing a page -> EINVAL");
	ri.gpa = (uint64_t)page_buf + 4096 - 48;
	rt_expect(VCPUOP(LAMINA_VCPUOP_REGISTER_RUNSTATE_AREA, 1, &ri), 0,
		  "REGISTER_RUNSTATE_AREA ending exactly at a page end");
	ri.gpa = RT_BEYOND_RAM;
	rt_expect(VCPUOP(LAMINA_VCPUOP_REGISTER_RUNSTATE_AREA, 1, &ri), -LAMINA_EINVAL,
		  "REGISTER_RUNSTATE_AREA beyond RAM -> EINVAL");
	ri.gpa = (uint64_t)rt_shinfo + 512;
	rt_expect(VCPUOP(LAMINA_VCPUOP_REGISTER_RUNSTATE_AREA, 1, &ri), -LAMINA_EINVAL,
		  "REGISTER_RUNSTATE_AREA in the physmap hole -> EINVAL");
	rt_expect(VCPUOP(LAMINA_VCPUOP_REGISTER_RUNSTATE_AREA, 1, RT_UNMAPPED), -LAMINA_EFAULT,
		  "REGISTER_RUNSTATE_AREA arg unmapped -> EFAULT");
	rt_expect(VCPUOP(LAMINA_VCPUOP_GET_RUNSTATE_INFO, 0, RT_UNMAPPED), -LAMINA_EFAULT,
		  "GET_RUNSTATE_INFO into an unmapped buffer -> EFAULT");
	rt_expect(VCPUOP(LAMINA_VCPUOP_GET_RUNSTATE_INFO, 0, rt_readonly(&rs_area)), -LAMINA_EFAULT,
		  "GET_RUNSTATE_INFO into a read-only mapping -> EFAULT");
	rt_memset(&rs_area, 0xee, sizeof(rs_area));
	ri.gpa = (uint64_t)&rs_area;
	rt_expect(VCPUOP(LAMINA_VCPUOP_REGISTER_RUNSTATE_AREA, 1, &ri), 0, "REGISTER_RUNSTATE_AREA for vCPU 1");
	rt_expect(rs_area.state, LAMINA_RUNSTATE_OFFLINE, "runstate area filled at once: vCPU 1 OFFLINE");
	rt_check(!(rs_area.state_entry_time & LAMINA_RUNSTATE_UPDATE), "runstate area: UPDATE bit clear after the write");
}

static struct lamina_vcpu_runstate_info rs(unsigned id)
{
	struct lamina_vcpu_runstate_info r;

	rt_memset(&r, 0xee, sizeof(r));
	long rc = VCPUOP(LAMINA_VCPUOP_GET_RUNSTATE_INFO, id, &r);
	if (rc)
		rt_check(0, "GET_RUNSTATE_INFO(%u) -> %ld", id, rc);
	return r;
}

static void bring_up(void)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) gdtr, idtr;

	ctx = (struct lamina_vcpu_up){ .rip = (uint64_t)ap_entry,
		.rsp = (uint64_t)(ap_stack + sizeof(ap_stack)), .cr3 = CR(3), .rdi = MAGIC1 };
	wrmsr(0xc0000100, 0x12345000);   /* FS base: must not be copied */
	long r = VCPUOP(LAMINA_VCPUOP_UP, 1, &ctx);
	wrmsr(0xc0000100, 0);
	rt_expect(r, 0, "UP(1) with a context");
	rt_check(rt_wait_for(ap_entries == 1, 5000000000ull), "vCPU 1 runs code at the context's rip");
	rt_expect(ap_rdi, MAGIC1, "vCPU 1 entry: rdi from the context");
	rt_expect(ap_rsp, ctx.rsp, "vCPU 1 entry: rsp from the context");
	rt_expect(ap_rflags, 0x2, "vCPU 1 entry: RFLAGS = 0x2 (interrupts off)");
	rt_expect(ap_cr3, ctx.cr3, "vCPU 1: cr3 from the context");
	rt_expect(ap_cr0, CR(0), "vCPU 1: CR0 copied from the caller");
	rt_expect(ap_cr4, CR(4), "vCPU 1: CR4 copied from the caller");
	rt_expect(ap_efer, rdmsr(0xc0000080), "vCPU 1: EFER copied from the caller");
	__asm__ __volatile__("sgdt %0; sidt %1" : "=m"(gdtr), "=m"(idtr));
	rt_check(ap_gdtr.base == gdtr.base && ap_gdtr.limit == gdtr.limit, "vCPU 1: GDTR copied from the caller");
	rt_check(ap_idtr.base == idtr.base && ap_idtr.limit == idtr.limit, "vCPU 1: IDTR copied from the caller");
	rt_expect(ap_cs, SEG(cs), "vCPU 1: CS selector copied");
	rt_expect(ap_ss, SEG(ss), "vCPU 1: SS selector copied");
	rt_expect(ap_ds, SEG(ds), "vCPU 1: DS selector copied");
	rt_expect(ap_es, SEG(es), "vCPU 1: ES selector copied");
	rt_expect(ap_fsbase, 0, "vCPU 1: FS base 0 (the caller's was not copied)");
	rt_expect(ap_gsbase, 0, "vCPU 1: GS base 0");
	rt_expect(ap_ldtr, 0, "vCPU 1: LDTR 0");
	rt_expect(ap_tr, 0, "vCPU 1: TR 0");
	rt_expect(VCPUOP(LAMINA_VCPUOP_IS_UP, 1, 0), 1, "IS_UP(1) after UP -> 1");
	rt_expect(VCPUOP(LAMINA_VCPUOP_UP, 1, &ctx), -LAMINA_EALREADY, "UP(1) with a context while up -> EALREADY");
	rt_expect(VCPUOP(LAMINA_VCPUOP_UP, 1, 0), -LAMINA_EALREADY, "UP(1) with arg 0 while up -> EALREADY");
	rt_expect(ap_entries, 1, "EALREADY did not restart vCPU 1");

	uint64_t c = ap_counter;
	rt_check(rt_wait_for(ap_counter > c + 10, 2000000000ull), "vCPU 1 keeps running");
	rt_check(rt_wait_for(vi1.time.tsc_to_system_mul != 0 && !(vi1.time.version & 1), 3000000000ull),
		 "vCPU 1's PV clock appears in its registered vcpu_info (version %u)", vi1.time.version);
	rt_check(rt_wait_for(rs_area.state == LAMINA_RUNSTATE_RUNNING, 1000000000ull),
		 "registered runstate area of vCPU 1 shows RUNNING (state %u)", rs_area.state);
	struct lamina_vcpu_runstate_info r1 = rs(1);
	rt_expect(r1.state, LAMINA_RUNSTATE_RUNNING, "GET_RUNSTATE_INFO(1) while it runs: RUNNING");
	rt_check(r1.time[LAMINA_RUNSTATE_OFFLINE] > 0, "vCPU 1 runstate: time OFFLINE before UP > 0");
}

static void down_up(void)
{
	struct lamina_vcpu_runstate_info r;

	/* DOWN on another vCPU returns once it has stopped. */
	rt_expect(VCPUOP(LAMINA_VCPUOP_DOWN, 1, 0), 0, "DOWN(1) from vCPU 0");
	uint64_t c = ap_counter;
	rt_expect(VCPUOP(LAMINA_VCPUOP_IS_UP, 1, 0), 0, "IS_UP(1) after DOWN -> 0");
	rt_spin_ns(30000000);
	rt_expect(ap_counter - c, 0, "vCPU 1 made no progress in 30 ms after DOWN returned");
	r = rs(1);
	rt_expect(r.state, LAMINA_RUNSTATE_OFFLINE, "GET_RUNSTATE_INFO(1) after DOWN: OFFLINE");
	rt_expect(rs_area.state, LAMINA_RUNSTATE_OFFLINE, "registered runstate area after DOWN: OFFLINE");
	rt_expect(VCPUOP(LAMINA_VCPUOP_DOWN, 1, 0), -LAMINA_EALREADY, "DOWN(1) twice -> EALREADY");

	/* UP with arg 0 continues where it stopped. */
	rt_expect(VCPUOP(LAMINA_VCPUOP_UP, 1, 0), 0, "UP(1) with arg 0 after DOWN");
	rt_check(rt_wait_for(ap_counter > c + 10, 2000000000ull), "vCPU 1 runs again after UP(arg 0)");
	rt_expect(ap_entries, 1, "UP(arg 0) continued where it stopped (no new entry)");

	/* DOWN on itself returns only when brought up with arg 0, returning 0. */
	ap_cmd = AP_DOWN_SELF;
	rt_check(rt_wait_for(VCPUOP(LAMINA_VCPUOP_IS_UP, 1, 0) == 0, 2000000000ull), "vCPU 1 DOWN on itself: IS_UP(1) -> 0");
	rt_spin_ns(20000000);
	rt_expect(ap_down_ret, 12345, "vCPU 1's own DOWN has not returned while down");
	rt_expect(VCPUOP(LAMINA_VCPUOP_UP, 1, 0), 0, "UP(1) with arg 0 after its own DOWN");
	rt_check(rt_wait_for(ap_down_ret != 12345, 2000000000ull), "vCPU 1's DOWN returned after UP");
	rt_expect(ap_down_ret, 0, "vCPU 1's own DOWN returns 0");

	/* A vCPU stopped by its own DOWN brought up with a new context starts there. */
	ap_down_ret = 12345;
	ap_cmd = AP_DOWN_SELF;
	rt_check(rt_wait_for(VCPUOP(LAMINA_VCPUOP_IS_UP, 1, 0) == 0, 2000000000ull), "vCPU 1 DOWN on itself again");
	ctx.rdi = MAGIC2;
	rt_expect(VCPUOP(LAMINA_VCPUOP_UP, 1, &ctx), 0, "UP(1) with a new context after its own DOWN");
	rt_check(rt_wait_for(ap_entries == 2, 2000000000ull), "vCPU 1 entered the new context (entries %d)", ap_entries);
	rt_expect(ap_rdi, MAGIC2, "new context: rdi");
	rt_spin_ns(20000000);
	rt_expect(ap_down_ret, 12345, "new context: the old DOWN call did not return");

	/* vCPU 1 stops vCPU 0, finds itself the last one up, and brings vCPU 0 back. */
	uint64_t t0 = rt_now();
	ap_cmd = AP_DOWN_BSP;
	rt_check(rt_wait_for(ap_done, 5000000000ull), "vCPU 1 brought vCPU 0 back");
	rt_expect(ap_ret_a, 0, "DOWN(0) from vCPU 1 -> 0");
	rt_expect(ap_ret_b, -LAMINA_EBUSY, "DOWN(1) on itself while vCPU 0 is down (last up) -> EBUSY");
	rt_expect(ap_ret_c, 0, "IS_UP(0) seen from vCPU 1 while vCPU 0 is down -> 0");
	rt_printf("  vCPU 0 was down for about %lu us\n", (unsigned long)((rt_now() - t0) / 1000));
	r = rs(0);
	rt_check(r.time[LAMINA_RUNSTATE_OFFLINE] > 0, "vCPU 0 runstate: some time OFFLINE after being downed");
}

static void timers(void)
{
	struct lamina_vcpu_singleshot_timer st = { 0 };
	struct lamina_vcpu_periodic_timer pt;

	st.flags = LAMINA_VCPU_SSHOT_FUTURE;
	st.deadline_ns = 1;
	rt_expect(VCPUOP(LAMINA_VCPUOP_SET_SINGLESHOT_TIMER, 0, &st), -LAMINA_ETIME,
		  "SET_SINGLESHOT_TIMER FUTURE, deadline 1 ns (past) -> ETIME");
	st.deadline_ns = rt_now() - 1000000;
	rt_expect(VCPUOP(LAMINA_VCPUOP_SET_SINGLESHOT_TIMER, 0, &st), -LAMINA_ETIME,
		  "SET_SINGLESHOT_TIMER FUTURE, deadline 1 ms ago -> ETIME");
	st.deadline_ns = rt_now() + 10000000000ull;
	rt_expect(VCPUOP(LAMINA_VCPUOP_SET_SINGLESHOT_TIMER, 0, &st), 0,
		  "SET_SINGLESHOT_TIMER FUTURE, deadline in 10 s -> 0");
	rt_expect(VCPUOP(LAMINA_VCPUOP_STOP_SINGLESHOT_TIMER, 0, 0), 0, "STOP_SINGLESHOT_TIMER -> 0");
	rt_expect(VCPUOP(LAMINA_VCPUOP_STOP_SINGLESHOT_TIMER, 0, 0), 0, "STOP_SINGLESHOT_TIMER when stopped -> 0");
	st.flags = 0;
	st.deadline_ns = rt_now() + 10000000000ull;
	rt_expect(VCPUOP(LAMINA_VCPUOP_SET_SINGLESHOT_TIMER, 1, &st), 0, "SET_SINGLESHOT_TIMER on vCPU 1 -> 0");
	rt_expect(VCPUOP(LAMINA_VCPUOP_STOP_SINGLESHOT_TIMER, 1, 0), 0, "STOP_SINGLESHOT_TIMER on vCPU 1 -> 0");
	st.pad = 1;
	rt_expect(VCPUOP(LAMINA_VCPUOP_SET_SINGLESHOT_TIMER, 0, &st), -LAMINA_EINVAL,
		  "SET_SINGLESHOT_TIMER with pad != 0 -> EINVAL");
	rt_expect(VCPUOP(LAMINA_VCPUOP_SET_SINGLESHOT_TIMER, 0, RT_UNMAPPED), -LAMINA_EFAULT,
		  "SET_SINGLESHOT_TIMER arg unmapped -> EFAULT");

	static const uint64_t bad[] = { 0, 1, LAMINA_VCPU_PERIOD_MIN_NS - 1 };
	for (unsigned i = 0; i < 3; i++) {
		pt.period_ns = bad[i];
		rt_expectf(VCPUOP(LAMINA_VCPUOP_SET_PERIODIC_TIMER, 0, &pt), -LAMINA_EINVAL,
			   "SET_PERIODIC_TIMER period %lu ns (below 100 us) -> EINVAL", (unsigned long)bad[i]);
	}
	pt.period_ns = LAMINA_VCPU_PERIOD_MIN_NS;
	rt_expect(VCPUOP(LAMINA_VCPUOP_SET_PERIODIC_TIMER, 0, &pt), 0, "SET_PERIODIC_TIMER at the minimum period");
	rt_expect(VCPUOP(LAMINA_VCPUOP_STOP_PERIODIC_TIMER, 0, 0), 0, "STOP_PERIODIC_TIMER -> 0");
	pt.period_ns = ~0ull;
	rt_expect(VCPUOP(LAMINA_VCPUOP_SET_PERIODIC_TIMER, 0, &pt), 0,
		  "SET_PERIODIC_TIMER period 2^64-1 ns (no upper bound documented) -> 0");
	rt_expect(VCPUOP(LAMINA_VCPUOP_STOP_PERIODIC_TIMER, 0, 0), 0, "STOP_PERIODIC_TIMER after the huge period");
	pt.period_ns = 1000000000;
	rt_expect(VCPUOP(LAMINA_VCPUOP_SET_PERIODIC_TIMER, 1, &pt), 0, "SET_PERIODIC_TIMER on vCPU 1 (1 s)");
	rt_expect(VCPUOP(LAMINA_VCPUOP_STOP_PERIODIC_TIMER, 1, 0), 0, "STOP_PERIODIC_TIMER on vCPU 1");
	rt_expect(VCPUOP(LAMINA_VCPUOP_SET_PERIODIC_TIMER, 0, RT_UNMAPPED), -LAMINA_EFAULT,
		  "SET_PERIODIC_TIMER arg unmapped -> EFAULT");
}

static void runstate(void)
{
	struct lamina_vcpu_runstate_info a = rs(0), b;
	uint64_t now = rt_now();

	rt_expect(a.state, LAMINA_RUNSTATE_RUNNING, "GET_RUNSTATE_INFO(0) on itself: RUNNING");
	rt_check(a.state_entry_time <= now, "state_entry_time %lu is not after now %lu",
		 (unsigned long)a.state_entry_time, (unsigned long)now);
	rt_spin_ns(20000000);
	b = rs(0);
	rt_check(b.time[LAMINA_RUNSTATE_RUNNING] >= a.time[LAMINA_RUNSTATE_RUNNING] + 15000000,
		 "time RUNNING grew by %lu ns over a 20 ms spin",
		 (unsigned long)(b.time[LAMINA_RUNSTATE_RUNNING] - a.time[LAMINA_RUNSTATE_RUNNING]));
	rt_expect(a.pad, 0, "runstate pad is 0");

	/* Unregister (gpa 0): the area is no longer written. */
	struct lamina_vcpu_register_info ri = { .gpa = 0 };
	rt_expect(VCPUOP(LAMINA_VCPUOP_REGISTER_RUNSTATE_AREA, 1, &ri), 0, "REGISTER_RUNSTATE_AREA gpa 0 unregisters");
	rt_memset(&rs_area, 0xee, sizeof(rs_area));
	rt_expect(VCPUOP(LAMINA_VCPUOP_DOWN, 1, 0), 0, "DOWN(1) (a state change)");
	rt_expect(rs_area.state, 0xeeeeeeee, "unregistered runstate area is not written");
	ap_cmd = AP_HALT;
	rt_expect(VCPUOP(LAMINA_VCPUOP_UP, 1, 0), 0, "UP(1) again");
}

void test_main(void)
{
	if (VCPUOP(LAMINA_VCPUOP_IS_UP, 1, 0) != 0 || VCPUOP(LAMINA_VCPUOP_IS_UP, 2, 0) != -LAMINA_ENOENT)
		rt_fail("needs exactly 2 vCPUs (args --vcpus 2)");
	vcpu_info();
	rt_expect(rt_shinfo->nr_vcpus, 2, "shared_info nr_vcpus");
	registered_delivery();
	errors_without_vcpu1();
	upcall_vector();
	runstate_area_errors();
	bring_up();
	down_up();
	timers();
	runstate();
}
