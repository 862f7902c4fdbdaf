" Drives Vim + ALE with EditorConfigs/vim/dlsp-ale.vim (loaded with -u, exactly as shipped), in a terminal (the
" test gives Vim a pseudo-terminal: ALE completes only in insert mode). Keys are typed with feedkeys() from a
" timer, as a user would type them: A<C-x><C-o> at a marked line end, <Esc>; then the code action through ALE's
" menu callback, then :ALERename with the new name typed at its prompt. Writes what happened as JSON.
" Environment: DLSP_FILE (opened by the command line), DLSP_POSITIONS, DLSP_ACTION_LINE, DLSP_ACTION_TITLE,
" DLSP_RENAME_AT, DLSP_RENAME_TO, DLSP_RESULT, DLSP_TIMEOUT_MS.

let s:result = {'steps': [], 'client': ''}
let s:positions = map(split($DLSP_POSITIONS, ';'), {_, p -> map(split(p, ':'), {_, n -> str2nr(n)})})
let s:timeout_ticks = str2nr($DLSP_TIMEOUT_MS) / 100
let s:state = 'start'
let s:ticks = 0
let s:index = 0

function! s:Text() abort
  return join(getline(1, '$'), "\n") . "\n"
endfunction

function! s:Finish() abort
  let s:result.status = get(s:result, 'status', 'ok')
  call writefile([json_encode(s:result)], $DLSP_RESULT)
  qa!
endfunction

function! s:Go(state) abort
  let s:state = a:state
  let s:ticks = 0
endfunction

function! s:OnActions(data, items) abort
  let s:result.actionsOffered = map(copy(a:items), {_, item -> item[1].title})
  for l:item in a:items
    if l:item[1].title is# $DLSP_ACTION_TITLE
      call ale#codefix#ApplyLSPCodeAction(a:data, l:item[1])
    endif
  endfor
endfunction

function! s:Tick(timer) abort
  let s:ticks += 1
  try
    if s:state is# 'start'
      if s:ticks >= 5
        let s:result.original = s:Text()
        let s:result.client = join(map(filter(ale#linter#Get(&filetype), {_, l -> l.name is# 'dlsp'}), {_, l -> l.name}))
        call s:Go('complete')
      endif
    elseif s:state is# 'complete'
      if s:index >= len(s:positions)
        call s:Go('action')
        return
      endif
      let [l:line, l:character] = s:positions[s:index]
      let s:before = s:Text()
      call cursor(l:line + 1, 1)
      call feedkeys("A\<C-x>\<C-o>", 'n')
      call s:Go('completing')
    elseif s:state is# 'completing'
      let [l:line, l:character] = s:positions[s:index]
      let l:step = {'line': l:line, 'character': l:character}
      if s:Text() isnot# s:before
        " The omni menu inserted ALE's word for dlsp's first item: accept it and leave insert mode.
        let l:offered = get(b:, 'ale_completion_result', [])
        let l:step.count = len(l:offered)
        let l:step.word = empty(l:offered) ? '' : l:offered[0].word
        " ALE inserts the word at the cursor (the completion starts at the empty keyword before it).
        let l:step.item = {'textEdit': {'newText': l:step.word, 'range': {
              \ 'start': {'line': l:line, 'character': l:character},
              \ 'end': {'line': l:line, 'character': l:character}}}}
        call feedkeys("\<Esc>", 'n')
        call add(s:result.steps, l:step)
        let s:result.completion = l:step
        call s:Go('completed')
      elseif s:ticks > s:timeout_ticks || (s:ticks > 3 && exists('b:ale_completion_result')
            \ && empty(b:ale_completion_result))
        " Nothing offered here (the menu closed, or no answer in time): try the next position.
        let l:step.count = len(get(b:, 'ale_completion_result', []))
        call add(s:result.steps, l:step)
        call feedkeys("\<Esc>", 'n')
        let s:index += 1
        call s:Go('next')
      endif
    elseif s:state is# 'next'
      if mode() is# 'n' | call s:Go('complete') | endif
    elseif s:state is# 'completed'
      if mode() is# 'n' && s:ticks > 3
        let s:result.afterCompletion = s:Text()
        call s:Go('action')
      endif
    elseif s:state is# 'action'
      let s:before = s:Text()
      call cursor(str2nr($DLSP_ACTION_LINE) + 1, 1)
      call ale#codefix#Execute(0, function('s:OnActions'))
      call s:Go('acting')
    elseif s:state is# 'acting'
      if s:Text() isnot# s:before || s:ticks > s:timeout_ticks
        let s:result.afterAction = s:Text()
        call s:Go('rename')
      endif
    elseif s:state is# 'rename'
      let s:before = s:Text()
      let [l:line, l:character] = map(split($DLSP_RENAME_AT, ':'), {_, n -> str2nr(n)})
      call cursor(l:line + 1, l:character + 1)
      " :ALERename asks for the new name with the old one filled in: clear it and type the new one.
      call feedkeys("\<C-u>" . $DLSP_RENAME_TO . "\<CR>", 't')
      ALERename
      call s:Go('renaming')
    elseif s:state is# 'renaming'
      if s:Text() isnot# s:before || s:ticks > s:timeout_ticks
        let s:result.afterRename = s:Text()
        call s:Finish()
      endif
    endif
  catch
    let s:result.status = 'error'
    let s:result.error = v:exception . ' at ' . v:throwpoint
    call s:Finish()
  endtry
endfunction

call timer_start(100, function('s:Tick'), {'repeat': -1})
