export { boardsSocket } from './boards.socket.ts';
export { teamSnapshot, boardState } from './board.service.ts';
export type { BoardMember, BoardSnapshot, BoardState } from './boards.events.ts';
