/* SPDX-License-Identifier: MIT */
/* entry.S: conformance-guest entry point, exception and upcall interrupt stubs. */
	.section .text.entry, "ax"
	.globl _start
_start:
	mov	rt_stack_top(%rip), %rsp
	mov	%rsi, %rdi		/* boot info pointer from the hypervisor */
	call	rt_start
1:	hlt
	jmp	1b

/* Secondary vCPUs start here (vcpu_op UP): rsp and rdi come from the context. */
	.globl rt_ap_entry
rt_ap_entry:
	call	rt_ap_start
2:	hlt
	jmp	2b

/* Exceptions: push a dummy error code where the CPU does not, then the vector. */
.macro EXC vec, has_err
	.globl rt_exc\vec
rt_exc\vec:
	.if \has_err == 0
	push	$0
	.endif
	push	$\vec
	jmp	exc_common
.endm
EXC 0,0; EXC 1,0; EXC 2,0; EXC 3,0; EXC 4,0; EXC 5,0; EXC 6,0; EXC 7,0
EXC 8,1; EXC 9,0; EXC 10,1; EXC 11,1; EXC 12,1; EXC 13,1; EXC 14,1; EXC 15,0
EXC 16,0; EXC 17,1; EXC 18,0; EXC 19,0; EXC 20,0; EXC 21,1

exc_common:
	mov	%rsp, %rdi		/* -> vector, error code, rip, cs, rflags, rsp, ss */
	and	$-16, %rsp
	call	rt_exception		/* does not return */
3:	hlt
	jmp	3b

/* The event upcall vector: save caller-saved registers, run the C handler. */
	.globl rt_upcall_stub
rt_upcall_stub:
	push	%rax
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	call	rt_upcall
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rax
	iretq
