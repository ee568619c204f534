export { boardsSocket } from './boards.socket.ts';
export { teamSnapshot } from './board.service.ts';
export { boardState, BOARD_STATES } from './board.rules.ts';
export type { BoardMember, BoardSnapshot, BoardState } from './boards.events.ts';
export { boardRulesScript } from './board.script.ts';
export { boardEndpoints } from './boards.routes.ts';
